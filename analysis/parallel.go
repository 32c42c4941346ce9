package analysis

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/segscope/segscope/report"
)

// Activity is the request/response activity of one connection: from its first to its
// last data-carrying segment (either direction). The handshake, the final ACKs and the
// FINs are not activity: two connections that ran one after the other and overlap only
// in a last ACK did not run in parallel.
type Activity struct {
	Conn       uint64
	Server     string // "ip:port"
	First      int64  // ns; 0 when the connection carried no data
	Last       int64
	FirstFrame uint64
	Selected   bool // the connection is in the output (--conn)
}

// Parallel groups connections to the same server whose activity overlapped in time
// (transitively: A overlaps B, B overlaps C) and returns one parallel_conns finding per
// group of two or more, on the group's first connection (or, when that one is not
// selected, its first selected one). acts may be in any order; the findings are in order
// of each group's first frame. Connections without data are not activity.
func Parallel(acts []Activity) []report.Finding {
	as := make([]Activity, 0, len(acts))
	for _, a := range acts {
		if a.First != 0 && a.Last >= a.First {
			as = append(as, a)
		}
	}
	slices.SortStableFunc(as, func(a, b Activity) int {
		if c := cmp.Compare(a.Server, b.Server); c != 0 {
			return c
		}
		if c := cmp.Compare(a.First, b.First); c != 0 {
			return c
		}
		return cmp.Compare(a.Conn, b.Conn)
	})
	var out []report.Finding
	for i := 0; i < len(as); {
		j, end := i+1, as[i].Last
		for j < len(as) && as[j].Server == as[i].Server && as[j].First < end {
			end = max(end, as[j].Last)
			j++
		}
		if g := as[i:j]; len(g) > 1 {
			if f, ok := parallelFinding(g); ok {
				out = append(out, f)
			}
		}
		i = j
	}
	slices.SortStableFunc(out, func(a, b report.Finding) int { return cmp.Compare(a.Frame, b.Frame) })
	return out
}

func parallelFinding(g []Activity) (report.Finding, bool) {
	owner := -1
	for k := range g {
		if g[k].Selected {
			owner = k
			break
		}
	}
	if owner < 0 {
		return report.Finding{}, false
	}
	// The most connections active at once: a sweep over starts and ends.
	type ev struct {
		t     int64
		delta int
	}
	evs := make([]ev, 0, 2*len(g))
	ids := make([]uint64, len(g))
	for k, a := range g {
		evs = append(evs, ev{a.First, 1}, ev{a.Last, -1})
		ids[k] = a.Conn
	}
	slices.SortFunc(evs, func(a, b ev) int {
		if c := cmp.Compare(a.t, b.t); c != 0 {
			return c
		}
		return cmp.Compare(a.delta, b.delta) // an end before a start at the same time
	})
	cur, peak := 0, 0
	for _, e := range evs {
		cur += e.delta
		peak = max(peak, cur)
	}
	slices.Sort(ids)
	names := make([]string, len(ids))
	for k, id := range ids {
		names[k] = strconv.FormatUint(id, 10)
	}
	var list string
	if len(names) == 2 {
		list = names[0] + " and " + names[1]
	} else {
		list = strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
	}
	t := "connections " + list + " to " + g[0].Server + " overlapped in their request/response activity (" + strconv.Itoa(peak) + " at once at most): the client fetched over parallel connections, each paying its own handshake and slow start, and sharing the path's bandwidth"
	return report.Finding{Conn: g[owner].Conn, Frame: g[owner].FirstFrame, Kind: string(KindParallel), Severity: string(SevInfo), Text: t}, true
}
