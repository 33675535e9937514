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
	sideHeader = regexp.MustCompile(`^(Previous )?(?:[Aa]tomic )?([Rr]ead|[Ww]rite)(?: of size \d+)? at 0x[0-9a-f]+ by (?:goroutine \d+|main goroutine):$`)
	fileLine   = regexp.MustCompile(`^\s+(.*):(\d+)(?: \+0x[0-9a-f]+)?$`)
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

// parseRace reads the two access sides of one report (the goroutine
// creation stacks that follow them are not needed).
func parseRace(lines []string) Race {
	var r Race
	n := -1
	for i := 0; i < len(lines); i++ {
		ln := lines[i]
		if m := sideHeader.FindStringSubmatch(ln); m != nil {
			if n++; n > 1 {
				break
			}
			r.Sides[n] = Side{Header: ln, Write: strings.EqualFold(m[2], "write")}
			continue
		}
		if n < 0 || n > 1 || ln == "" {
			if ln == "" && n >= 1 {
				break
			}
			continue
		}
		// A frame is a function line followed by its file:line.
		if i+1 < len(lines) && strings.HasPrefix(ln, "  ") && !strings.HasPrefix(ln, "    ") {
			if m := fileLine.FindStringSubmatch(lines[i+1]); m != nil {
				line, _ := strconv.Atoi(m[2])
				r.Sides[n].Frames = append(r.Sides[n].Frames, Frame{
					Func: strings.TrimSuffix(strings.TrimSpace(ln), "()"),
					File: m[1],
					Line: line,
				})
				i++
			}
		}
	}
	return r
}
