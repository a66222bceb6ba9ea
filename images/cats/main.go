// cats is the sample web app, after the ECS tutorials' "container of cats" page. It shows which
// task served the request and the CATS environment variable, so a rollout is visible from outside.
package main

import (
	"fmt"
	"html"
	"log"
	"net/http"
	"os"
	"strconv"
	"time"
)

const page = `<!doctype html>
<html><head><title>A container of cats</title></head>
<body style="font-family: sans-serif; text-align: center">
<h1>A container of cats</h1>
<pre>
 /\_/\     /\_/\     /\_/\
( o.o )   ( -.- )   ( ^.^ )
 > ^ <     > ^ <     > ^ <
</pre>
<p>Served by task <b>%s</b>. Cats: <b>%s</b>.</p>
</body></html>
`

func main() {
	task, _ := os.Hostname()
	cats := os.Getenv("CATS")
	if cats == "" {
		cats = "some"
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "80"
	}
	http.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	http.HandleFunc("/burn", burn)
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, page, html.EscapeString(task), html.EscapeString(cats))
	})
	log.Printf("cats: listening on :%s", port)
	log.Fatal(http.ListenAndServe(":"+port, nil))
}

// maxBurn bounds one /burn request, so a load loop can never pin a node for long.
const maxBurn = 1000 * time.Millisecond

// burn keeps one core busy for ?ms=N milliseconds (default 100, at most maxBurn), to make CPU load
// for Service Auto Scaling: GET /burn?ms=200.
func burn(w http.ResponseWriter, r *http.Request) {
	ms := 100
	if value := r.URL.Query().Get("ms"); value != "" {
		parsed, err := strconv.Atoi(value)
		if err != nil || parsed < 0 || time.Duration(parsed)*time.Millisecond > maxBurn {
			http.Error(w, fmt.Sprintf("ms must be an integer from 0 to %d", maxBurn.Milliseconds()), http.StatusBadRequest)
			return
		}
		ms = parsed
	}
	deadline := time.Now().Add(time.Duration(ms) * time.Millisecond)
	x := uint64(1)
	for time.Now().Before(deadline) {
		for i := 0; i < 10000; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	host, _ := os.Hostname()
	fmt.Fprintf(w, "burned %dms on %s (%d)\n", ms, host, x%10)
}
