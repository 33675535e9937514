package oracle

import (
	"regexp"
	"strconv"
	"strings"
)

// Frame is one frame of a race report's stack.
type Frame struct {
	Func string // "example.com/oracle/p3.h1", "runtime.mapassign_fast64"
	File string
	Line int
}

// Side is one of the two accesses of a race report.
type Side struct {
	Header string  // "Write at 0x00c000012345 by goroutine 7:"
	Write  bool    //
	Frames []Frame // innermost first; none if the stack was lost
}

// Race is one report of the race detector, with the program that was
// running when it was printed (-1: none).
type Race struct {
	Program int
	Sides   [2]Side
	Text    string
}

// Log is what a runner printed on stderr: the race reports, and its own
// marks (see testdata/runner.go).
type Log struct {
	Races    []Race
	Begun    []int          // programs begun, in order
	Ended    map[int]bool   // programs that ran to the end
	Done     bool           // the runner finished its chunk
	Messages map[int]string // other marks and lines, per program (-1: outside any)
}

var (
	sideHeader    = regexp.MustCompile(`^(Previous )?(?:[Aa]tomic )?([Rr]ead|[Ww]rite)(?: of size \d+)? at 0x[0-9a-f]+ by (?:goroutine (\d+)|main goroutine):$`)
	createdHeader = regexp.MustCompile(`^Goroutine (\d+) \([a-z ]+\) created at:$`)
	fileLine      = regexp.MustCompile(`^\s+(.*):(\d+)(?: \+0x[0-9a-f]+)?$`)
)

const (
	raceStart = "WARNING: DATA RACE"
	raceRule  = "=================="
	markBegin = "@@oracle begin "
	markEnd   = "@@oracle end "
	markDone  = "@@oracle done"
)

// ParseLog splits a runner's stderr into race reports and marks.
func ParseLog(out string) *Log {
	lg := &Log{Ended: map[int]bool{}, Messages: map[int]string{}}
	cur := -1
	lines := strings.Split(out, "\n")
	for i := 0; i < len(lines); i++ {
		ln := lines[i]
		switch {
		case strings.HasPrefix(ln, markBegin):
			cur, _ = strconv.Atoi(strings.TrimPrefix(ln, markBegin))
			lg.Begun = append(lg.Begun, cur)
		case strings.HasPrefix(ln, markEnd):
			n, _ := strconv.Atoi(strings.TrimPrefix(ln, markEnd))
			lg.Ended[n] = true
			cur = -1
		case ln == markDone:
			lg.Done = true
		case ln == raceStart:
			j := i + 1
			for j < len(lines) && lines[j] != raceRule {
				j++
			}
			r := parseRace(lines[i+1 : j])
			r.Program = cur
			r.Text = strings.Join(lines[i:min(j+1, len(lines))], "\n")
			lg.Races = append(lg.Races, r)
			i = j
		case ln == raceRule || ln == "" || strings.HasPrefix(ln, "Found ") && strings.HasSuffix(ln, "data race(s)"):
		default:
			lg.Messages[cur] += ln + "\n"
		}
	}
	return lg
}

// parseRace reads the two access sides of one report, each followed out
// through the stacks that created its goroutine: a goroutine a handler
// starts (gor.go) shows the handler only where it was created, and the
// side is the handler's, reached through the go statement (a handler's
// own goroutine is created by the runner or the loop, outside the
// program, and gains no program frames).
func parseRace(lines []string) Race {
	var r Race
	var gor [2]string               // the sides' goroutines ("7"; "" for main)
	created := map[string][]Frame{} // creation stacks by goroutine
	var cur *[]Frame
	n := -1
	for i := 0; i < len(lines); i++ {
		ln := lines[i]
		if m := sideHeader.FindStringSubmatch(ln); m != nil {
			if n++; n > 1 {
				cur = nil
				continue
			}
			r.Sides[n] = Side{Header: ln, Write: strings.EqualFold(m[2], "write")}
			gor[n] = m[3]
			cur = &r.Sides[n].Frames
			continue
		}
		if m := createdHeader.FindStringSubmatch(ln); m != nil {
			var fs []Frame
			for i+1 < len(lines) && lines[i+1] != "" {
				i++
				if f, ok := frameAt(lines, i); ok {
					fs = append(fs, f)
					i++
				}
			}
			created[m[1]] = fs
			cur = nil
			continue
		}
		if cur == nil || ln == "" {
			if ln == "" {
				cur = nil
			}
			continue
		}
		if f, ok := frameAt(lines, i); ok {
			*cur = append(*cur, f)
			i++
		}
	}
	for k := range r.Sides {
		if len(r.Sides[k].Frames) > 0 && gor[k] != "" {
			r.Sides[k].Frames = append(r.Sides[k].Frames, created[gor[k]]...)
		}
	}
	return r
}

// frameAt reads the frame at lines[i]: a function line followed by its
// file:line.
func frameAt(lines []string, i int) (Frame, bool) {
	ln := lines[i]
	if i+1 >= len(lines) || !strings.HasPrefix(ln, "  ") || strings.HasPrefix(ln, "    ") {
		return Frame{}, false
	}
	m := fileLine.FindStringSubmatch(lines[i+1])
	if m == nil {
		return Frame{}, false
	}
	line, _ := strconv.Atoi(m[2])
	return Frame{Func: strings.TrimSuffix(strings.TrimSpace(ln), "()"), File: m[1], Line: line}, true
}
