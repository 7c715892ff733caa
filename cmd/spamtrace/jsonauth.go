package main

import (
	"sort"
	"strconv"

	"github.com/spamtrace/spamtrace/auth"
	"github.com/spamtrace/spamtrace/internal/jsonstr"
)

// appendAuth appends the "auth" object of a message (docs/json-schema.md,
// "Authentication evidence"), with its leading comma; nothing when ev is
// nil.
func appendAuth(b []byte, ev *auth.Evidence) []byte {
	if ev == nil {
		return b
	}
	b = append(b, `,"auth":{"verified":`...)
	b = strconv.AppendBool(b, ev.Verified)
	b = append(b, `,"results":[`...)
	for i := range ev.Results {
		r := &ev.Results[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"header":`...)
		b = jsonstr.Append(b, r.Header)
		b = appendInt(b, "hop", r.Hop)
		b = append(b, `,"attributed":`...)
		b = jsonstr.Append(b, string(r.Attributed))
		b = append(b, `,"authserv_id":`...)
		b = jsonstr.Append(b, r.AuthservID)
		if r.Instance > 0 {
			b = appendInt(b, "instance", r.Instance)
		}
		b = append(b, `,"trusted":`...)
		b = strconv.AppendBool(b, r.Trusted)
		b = append(b, `,"method":`...)
		b = jsonstr.Append(b, r.Method)
		b = append(b, `,"result":`...)
		b = jsonstr.Append(b, r.Result)
		b = append(b, `,"reason":`...)
		b = jsonstr.Append(b, r.Reason)
		b = append(b, `,"properties":{`...)
		keys := make([]string, 0, len(r.Properties))
		for k := range r.Properties {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for j, k := range keys {
			if j > 0 {
				b = append(b, ',')
			}
			b = jsonstr.Append(b, k)
			b = append(b, ':')
			b = jsonstr.Append(b, r.Properties[k])
		}
		b = append(b, `},"comments":`...)
		b = appendStrings(b, r.Comments)
		b = append(b, `,"error":`...)
		b = appendErr(b, ev.ResultFields[r.Field].Err)
		b = append(b, `,"raw":`...)
		b = jsonstr.Append(b, r.Raw)
		b = append(b, '}')
	}
	b = append(b, `],"dkim":[`...)
	for i := range ev.DKIM {
		d := &ev.DKIM[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"domain":`...)
		b = jsonstr.Append(b, d.Domain)
		b = append(b, `,"selector":`...)
		b = jsonstr.Append(b, d.Selector)
		b = append(b, `,"identity":`...)
		b = jsonstr.Append(b, d.Identity)
		b = append(b, `,"algorithm":`...)
		b = jsonstr.Append(b, d.Algorithm)
		b = append(b, `,"canonicalization":`...)
		b = jsonstr.Append(b, d.Canon)
		b = append(b, `,"headers":`...)
		b = appendStrings(b, d.Headers)
		b = append(b, `,"body_length":`...)
		if d.BodyLength < 0 {
			b = append(b, "null"...)
		} else {
			b = strconv.AppendInt(b, d.BodyLength, 10)
		}
		b = append(b, `,"timestamp":`...)
		b = appendTime(b, d.Timestamp)
		b = append(b, `,"expiration":`...)
		b = appendTime(b, d.Expiration)
		b = appendInt(b, "hop", d.Hop)
		b = append(b, `,"verify":`...)
		b = jsonstr.Append(b, d.Verify)
		b = append(b, `,"error":`...)
		if d.Error != "" {
			b = jsonstr.Append(b, d.Error)
		} else {
			b = appendErr(b, d.Err)
		}
		b = append(b, '}')
	}
	b = append(b, `],"arc":[`...)
	for i := range ev.ARC {
		s := &ev.ARC[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"instance":`...)
		b = strconv.AppendInt(b, int64(s.Instance), 10)
		b = append(b, `,"cv":`...)
		b = jsonstr.Append(b, s.CV)
		b = append(b, `,"domain":`...)
		b = jsonstr.Append(b, s.Domain)
		b = append(b, `,"selector":`...)
		b = jsonstr.Append(b, s.Selector)
		b = appendInt(b, "hop", s.Hop)
		b = append(b, `,"verify":`...)
		b = jsonstr.Append(b, s.Verify)
		b = append(b, `,"error":`...)
		if s.Error != "" {
			b = jsonstr.Append(b, s.Error)
		} else {
			b = appendErr(b, s.Err)
		}
		b = append(b, '}')
	}
	b = append(b, `],"arc_chain":`...)
	b = jsonstr.Append(b, ev.ARCChain)
	b = append(b, `,"spf":[`...)
	for i := range ev.SPF {
		s := &ev.SPF[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"hop":`...)
		b = strconv.AppendInt(b, int64(s.Hop), 10)
		b = append(b, `,"trusted":`...)
		b = strconv.AppendBool(b, s.Trusted)
		b = append(b, `,"result":`...)
		b = jsonstr.Append(b, s.Result)
		b = append(b, `,"client_ip":`...)
		if s.ClientIP.IsValid() {
			b = appendAddr(b, s.ClientIP)
		} else {
			b = jsonstr.Append(b, s.ClientIPText)
		}
		b = append(b, `,"helo":`...)
		b = jsonstr.Append(b, s.HELO)
		b = append(b, `,"envelope_from":`...)
		b = jsonstr.Append(b, s.EnvelopeFrom)
		b = append(b, `,"receiver":`...)
		b = jsonstr.Append(b, s.Receiver)
		b = append(b, `,"error":`...)
		b = appendErr(b, s.Err)
		b = append(b, '}')
	}
	id := &ev.Identities
	b = append(b, `],"identities":{"envelope_from":`...)
	b = jsonstr.Append(b, id.EnvelopeFrom)
	b = append(b, `,"from":`...)
	b = jsonstr.Append(b, id.From)
	b = append(b, `,"sender":`...)
	b = jsonstr.Append(b, id.Sender)
	b = append(b, `,"reply_to":`...)
	b = appendStrings(b, id.ReplyTo)
	b = append(b, `,"dkim_domains":`...)
	b = appendStrings(b, id.DKIMDomains)
	b = append(b, `,"header_from":`...)
	b = appendStrings(b, id.HeaderFrom)
	b = append(b, `,"message_id_domain":`...)
	b = jsonstr.Append(b, id.MessageIDDomain)
	b = append(b, `,"origin_helo":`...)
	b = jsonstr.Append(b, id.OriginHELO)
	al := &ev.Alignment
	b = append(b, `},"alignment":{"spf":`...)
	b = strconv.AppendBool(b, al.SPF)
	b = append(b, `,"dkim":`...)
	b = strconv.AppendBool(b, al.DKIM)
	b = append(b, `,"spf_strict":`...)
	b = strconv.AppendBool(b, al.SPFStrict)
	b = append(b, `,"dkim_strict":`...)
	b = strconv.AppendBool(b, al.DKIMStrict)
	b = append(b, `,"dmarc":`...)
	b = jsonstr.Append(b, al.DMARC)
	b = append(b, `,"from_domain":`...)
	b = jsonstr.Append(b, al.FromDomain)
	b = append(b, `,"dmarc_policy":`...)
	b = jsonstr.Append(b, ev.DMARCPolicy)
	b = append(b, `,"origin_spf":`...)
	b = jsonstr.Append(b, ev.OriginSPF)
	b = append(b, `},"verdicts":[`...)
	for i := range ev.Verdicts {
		v := &ev.Verdicts[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"vendor":`...)
		b = jsonstr.Append(b, v.Vendor)
		b = append(b, `,"header":`...)
		b = jsonstr.Append(b, v.Header)
		b = append(b, `,"name":`...)
		b = jsonstr.Append(b, v.Name)
		b = append(b, `,"value":`...)
		b = jsonstr.Append(b, v.Value)
		b = append(b, `,"meaning":`...)
		b = jsonstr.Append(b, v.Meaning)
		b = appendInt(b, "hop", v.Hop)
		b = append(b, `,"trusted":`...)
		b = strconv.AppendBool(b, v.Trusted)
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

func appendInt(b []byte, key string, n int) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return strconv.AppendInt(b, int64(n), 10)
}

func appendErr(b []byte, err error) []byte {
	if err == nil {
		return append(b, '"', '"')
	}
	return jsonstr.Append(b, err.Error())
}
