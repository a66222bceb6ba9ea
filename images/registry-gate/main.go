// registry-gate stands in front of the cluster's registry (docs/registry.md) and adds what ECR has
// and the distribution registry lacks: tag immutability. A repository named in the immutable file
// (one name per line, re-read when it changes) refuses a manifest push under a tag it already has,
// with ECR's words; everything else passes through unchanged.
package main

import (
	"bufio"
	"fmt"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"
)

// /v2/<name>/manifests/<reference>: a tag, not a digest (digests are immutable anyway).
var manifestPut = regexp.MustCompile(`^/v2/(.+)/manifests/([A-Za-z0-9_][A-Za-z0-9._-]{0,127})$`)

type immutable struct {
	path     string
	mu       sync.Mutex
	modified time.Time
	names    map[string]bool
}

func (i *immutable) has(repo string) bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	info, err := os.Stat(i.path)
	if err != nil {
		return false
	}
	if !info.ModTime().Equal(i.modified) {
		i.names, i.modified = map[string]bool{}, info.ModTime()
		if f, err := os.Open(i.path); err == nil {
			scanner := bufio.NewScanner(f)
			for scanner.Scan() {
				if name := strings.TrimSpace(scanner.Text()); name != "" && !strings.HasPrefix(name, "#") {
					i.names[name] = true
				}
			}
			f.Close()
		}
	}
	return i.names[repo]
}

func main() {
	upstream, err := url.Parse(os.Getenv("UPSTREAM"))
	if err != nil || upstream.Host == "" {
		log.Fatal("UPSTREAM must be the registry's URL, e.g. http://kube-ecs-registry-store:5000")
	}
	rules := &immutable{path: os.Getenv("IMMUTABLE_FILE")}
	proxy := httputil.NewSingleHostReverseProxy(upstream)
	client := &http.Client{Timeout: 10 * time.Second}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if m := manifestPut.FindStringSubmatch(r.URL.Path); m != nil && r.Method == http.MethodPut && rules.has(m[1]) {
			head, _ := http.NewRequest(http.MethodHead, upstream.String()+r.URL.Path, nil)
			head.Header = r.Header.Clone()
			head.Header.Set("Accept", "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "+
				"application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json")
			if resp, err := client.Do(head); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusBadRequest)
					fmt.Fprintf(w, `{"errors":[{"code":"TAG_INVALID","message":"ImageTagAlreadyExistsException: The image tag '%s' already exists in the '%s' repository and cannot be overwritten because the repository is immutable."}]}`+"\n", m[2], m[1])
					return
				}
			}
		}
		proxy.ServeHTTP(w, r)
	})
	log.Fatal(http.ListenAndServe(":5000", nil))
}
