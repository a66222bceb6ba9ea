// cats is the sample web app, after the ECS tutorials' "container of cats" page. It shows which
// task served the request and the CATS environment variable, so a rollout is visible from outside.
package main

import (
	"fmt"
	"html"
	"log"
	"net/http"
	"os"
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
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, page, html.EscapeString(task), html.EscapeString(cats))
	})
	log.Printf("cats: listening on :%s", port)
	log.Fatal(http.ListenAndServe(":"+port, nil))
}
