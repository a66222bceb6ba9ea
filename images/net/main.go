// kube-ecs-net is the kind cluster's pod network across nodes, in the way of kind's kindnetd (which
// the Go module proxy does not serve): every node runs it (a DaemonSet on the host network). It
// writes this node's CNI config for the pod CIDR the controller manager gave it (ptp + host-local +
// portmap, plugins from Debian's containernetworking-plugins), and routes every other node's pod
// CIDR through that node's address. Nodes share one Docker network, so plain routes suffice.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/vishvananda/netlink"
)

const (
	saDir    = "/var/run/secrets/kubernetes.io/serviceaccount"
	confPath = "/etc/cni/net.d/10-kube-ecs.conflist"
	// Routes this program owns carry their own protocol number, so removing a gone node's route never
	// touches a route someone else made.
	routeProtocol = netlink.RouteProtocol(77)
	interval      = 5 * time.Second
)

type node struct {
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		PodCIDR string `json:"podCIDR"`
	} `json:"spec"`
	Status struct {
		Addresses []struct {
			Type    string `json:"type"`
			Address string `json:"address"`
		} `json:"addresses"`
	} `json:"status"`
}

func (n node) internalIP() net.IP {
	for _, a := range n.Status.Addresses {
		if a.Type == "InternalIP" {
			if ip := net.ParseIP(a.Address); ip != nil && ip.To4() != nil {
				return ip
			}
		}
	}
	return nil
}

type apiClient struct {
	http  *http.Client
	base  string
	token string
}

func newClient() (*apiClient, error) {
	ca, err := os.ReadFile(filepath.Join(saDir, "ca.crt"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	// kind sets CONTROL_PLANE_ENDPOINT on the default CNI's first container: the API server without
	// going through kube-proxy's Service address.
	endpoint := os.Getenv("CONTROL_PLANE_ENDPOINT")
	if endpoint == "" {
		endpoint = net.JoinHostPort(os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT"))
	}
	return &apiClient{
		http: &http.Client{Timeout: 10 * time.Second,
			Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}},
		base: "https://" + endpoint,
	}, nil
}

func (c *apiClient) nodes() ([]node, error) {
	// The token is re-read on every call: the kubelet rotates it.
	token, err := os.ReadFile(filepath.Join(saDir, "token"))
	if err != nil {
		return nil, err
	}
	req, _ := http.NewRequest("GET", c.base+"/api/v1/nodes", nil)
	req.Header.Set("Authorization", "Bearer "+string(token))
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("list nodes: %s", resp.Status)
	}
	var list struct {
		Items []node `json:"items"`
	}
	return list.Items, json.NewDecoder(resp.Body).Decode(&list)
}

func conflist(podCIDR string) []byte {
	conf := map[string]any{
		"cniVersion": "0.4.0",
		"name":       "kube-ecs",
		"plugins": []any{
			map[string]any{"type": "ptp", "ipMasq": true, "mtu": 1500,
				"ipam": map[string]any{"type": "host-local", "ranges": [][]map[string]string{{{"subnet": podCIDR}}},
					"routes": []map[string]string{{"dst": "0.0.0.0/0"}}}},
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
		},
	}
	out, _ := json.MarshalIndent(conf, "", "  ")
	return append(out, '\n')
}

// writeConf replaces the CNI config atomically, and only when it changed: the kubelet reads it.
func writeConf(podCIDR string) error {
	want := conflist(podCIDR)
	if have, err := os.ReadFile(confPath); err == nil && string(have) == string(want) {
		return nil
	}
	tmp := confPath + ".tmp"
	if err := os.WriteFile(tmp, want, 0o644); err != nil {
		return err
	}
	log.Printf("CNI config for pod CIDR %s", podCIDR)
	return os.Rename(tmp, confPath)
}

// syncRoutes makes the routes we own exactly one per other node: its pod CIDR via its address.
func syncRoutes(self string, nodes []node) error {
	want := map[string]*netlink.Route{}
	for _, n := range nodes {
		ip := n.internalIP()
		if n.Metadata.Name == self || n.Spec.PodCIDR == "" || ip == nil {
			continue
		}
		_, dst, err := net.ParseCIDR(n.Spec.PodCIDR)
		if err != nil || dst.IP.To4() == nil {
			continue
		}
		want[dst.String()] = &netlink.Route{Dst: dst, Gw: ip, Protocol: routeProtocol}
	}
	have, err := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Protocol: routeProtocol}, netlink.RT_FILTER_PROTOCOL)
	if err != nil {
		return err
	}
	for _, r := range have {
		if w, ok := want[r.Dst.String()]; ok && w.Gw.Equal(r.Gw) {
			delete(want, r.Dst.String())
			continue
		}
		log.Printf("route %s via %s removed", r.Dst, r.Gw)
		if err := netlink.RouteDel(&r); err != nil {
			return err
		}
	}
	for _, r := range want {
		log.Printf("route %s via %s", r.Dst, r.Gw)
		if err := netlink.RouteReplace(r); err != nil {
			return err
		}
	}
	return nil
}

func main() {
	self := os.Getenv("NODE_NAME")
	if self == "" {
		log.Fatal("NODE_NAME is not set")
	}
	client, err := newClient()
	if err != nil {
		log.Fatal(err)
	}
	for ; ; time.Sleep(interval) {
		nodes, err := client.nodes()
		if err != nil {
			log.Print(err)
			continue
		}
		for _, n := range nodes {
			if n.Metadata.Name == self && n.Spec.PodCIDR != "" {
				if err := writeConf(n.Spec.PodCIDR); err != nil {
					log.Print(err)
				}
			}
		}
		if err := syncRoutes(self, nodes); err != nil {
			log.Print(err)
		}
	}
}
