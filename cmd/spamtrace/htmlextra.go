package main

import "strings"

// htmlURLs is a message's advertised web sites for the HTML report: one
// row per host, and the first URLs as written. They are shown as text
// (code), never as links or images.
type htmlURLs struct {
	Count     int
	Truncated bool
	Hosts     []htmlURLHost
	URLs      []string // the first maxHTMLURLs
	More      int      // URLs not listed
}

type htmlURLHost struct {
	Host, Domain, Parts, Hosted string
	Count                       int
}

const maxHTMLURLs = 20

// addHTMLExtras fills the sections that come from the message beyond its
// Received fields: the authentication evidence (the same view as the text
// report's) and the URLs.
func addHTMLExtras(m *htmlMessage, r *record) {
	if r.tr != nil {
		m.Auth = newAuthView(r.tr.Auth)
	}
	for _, e := range r.mimeErrors {
		m.MIMEErrs = append(m.MIMEErrs, sanitize(e, htmlLong))
	}
	if len(r.urls) == 0 {
		return
	}
	u := &htmlURLs{Count: len(r.urls), Truncated: r.urlsTruncated}
	for _, h := range urlHosts(r) {
		row := htmlURLHost{Host: sanitize(h.host, htmlShort), Domain: sanitize(h.domain, htmlShort), Parts: strings.Join(h.parts, ", "), Count: h.count}
		if hl := r.hosts[h.host]; hl != nil {
			row.Hosted = sanitize(hostedAt(hl), htmlLong)
		}
		u.Hosts = append(u.Hosts, row)
	}
	for i, x := range r.urls {
		if i == maxHTMLURLs {
			u.More = len(r.urls) - i
			break
		}
		u.URLs = append(u.URLs, sanitize(x.URL, htmlLong))
	}
	m.URLs = u
}
