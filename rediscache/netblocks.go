package rediscache

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"sync"

	"github.com/spamtrace/spamtrace/netblock"
	"github.com/spamtrace/spamtrace/trace"
)

// Netblocks finds netblocks through the shared cache, asking Source on a
// miss. It satisfies trace.NetblockFinder. An in-process map of the
// networks found so far stays in front of Redis.
type Netblocks struct {
	Cache  *Cache
	Source trace.NetblockFinder

	mu  sync.Mutex
	mem map[netip.Prefix]*netblock.Netblock
	neg map[netip.Addr]bool
}

// Netblocks returns a finder that asks src behind c.
func (c *Cache) Netblocks(src trace.NetblockFinder) *Netblocks {
	return &Netblocks{Cache: c, Source: src}
}

// Lookup returns the netblock holding addr, as the source would: with
// netblock.ErrNoAbuseContact when it registers no abuse contact, and
// netblock.ErrNotFound when no registry has it.
func (n *Netblocks) Lookup(ctx context.Context, addr netip.Addr) (*netblock.Netblock, error) {
	addr = addr.Unmap().WithZone("")
	if nb, neg := n.local(addr); nb != nil {
		return finish(nb)
	} else if neg {
		return nil, netblock.ErrNotFound
	}
	c := n.Cache
	if c == nil {
		return n.Source.Lookup(ctx, addr)
	}
	bits := 24
	if addr.Is6() {
		bits = 48
	}
	bucket, _ := addr.Prefix(bits)
	// Every prefix that could hold addr, most specific first, then the
	// negative answer for addr itself.
	keys := make([]string, 0, addr.BitLen()+2)
	for b := addr.BitLen(); b >= 0; b-- {
		p, _ := addr.Prefix(b)
		keys = append(keys, c.opt.Prefix+"nb:"+p.String())
	}
	negKey := c.opt.Prefix + "nbx:" + addr.String()
	keys = append(keys, negKey)
	var (
		found  *netblock.Netblock
		srcErr error
		none   bool
	)
	q := &question{
		keys: keys,
		lock: c.opt.Prefix + "lock:nb:" + bucket.String(),
		pick: func(vals []any) bool {
			for i, v := range vals {
				s, ok := v.(string)
				if !ok {
					continue
				}
				if i == len(vals)-1 {
					none = true
					return true
				}
				var nb netblock.Netblock
				if json.Unmarshal([]byte(s), &nb) == nil && nb.Contains(addr) {
					found = &nb
					return true
				}
			}
			return false
		},
		ask: func(ctx context.Context) ([]entry, error) {
			nb, err := n.Source.Lookup(ctx, addr)
			found, srcErr = nb, err
			switch {
			case nb != nil && nb.Prefix.IsValid():
				b, err := json.Marshal(nb)
				if err != nil {
					return nil, nil
				}
				return []entry{{c.opt.Prefix + "nb:" + nb.Prefix.String(), b, c.opt.NetblockTTL}}, nil
			case nb == nil && errors.Is(err, netblock.ErrNotFound):
				return []entry{{negKey, []byte("1"), c.opt.NetblockNegativeTTL}}, nil
			}
			return nil, nil
		},
	}
	// A failed source is the source's error; a failed cache is none.
	if err := c.fetch(ctx, q); err != nil && found == nil {
		return nil, err
	}
	if none {
		n.remember(addr, nil)
		return nil, netblock.ErrNotFound
	}
	if found == nil {
		return nil, srcErr
	}
	n.remember(addr, found)
	if srcErr != nil {
		return found, srcErr
	}
	return finish(found)
}

func (n *Netblocks) local(a netip.Addr) (*netblock.Netblock, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.neg[a] {
		return nil, true
	}
	for b := a.BitLen(); b >= 0 && len(n.mem) > 0; b-- {
		p, _ := a.Prefix(b)
		if nb, ok := n.mem[p]; ok && nb.Contains(a) {
			return nb, false
		}
	}
	return nil, false
}

func (n *Netblocks) remember(a netip.Addr, nb *netblock.Netblock) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.mem == nil {
		n.mem = map[netip.Prefix]*netblock.Netblock{}
		n.neg = map[netip.Addr]bool{}
	}
	if nb == nil {
		n.neg[a] = true
		return
	}
	if nb.Prefix.IsValid() {
		n.mem[nb.Prefix] = nb
	}
}

// finish returns a copy of nb with the error netblock.Client gives it.
func finish(nb *netblock.Netblock) (*netblock.Netblock, error) {
	cp := *nb
	cp.Abuse = append([]netblock.Contact(nil), nb.Abuse...)
	for _, a := range cp.Abuse {
		if a.Source == netblock.SourceRDAP || a.Source == netblock.SourceWhois {
			return &cp, nil
		}
	}
	return &cp, netblock.ErrNoAbuseContact
}

// Apply puts the cache behind lk: its DNS questions go to src through
// the cache (a nil src means a zero DNSClient, the system's name servers;
// lk.DNS is replaced, as the cache needs TTLs it cannot tell), and its
// netblock finder (when set) behind the cache. It returns lk.
func (c *Cache) Apply(lk *trace.Lookups, src Querier) *trace.Lookups {
	if lk.DNS != nil || src != nil {
		if src == nil {
			src = &DNSClient{}
		}
		lk.DNS = c.DNS(src)
	}
	if lk.Netblocks != nil {
		lk.Netblocks = c.Netblocks(lk.Netblocks)
	}
	return lk
}
