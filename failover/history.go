package failover

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/carpvm/carpvm/internal/groupby"
	"github.com/carpvm/carpvm/internal/table"
)

// HistoryFile is the file in the history directory that holds one JSON
// Report per line, oldest first.
const HistoryFile = "history.jsonl"

// DefaultHistoryDir is $XDG_STATE_HOME/carpvm/drills, else
// ~/.local/state/carpvm/drills (home from $HOME).
func DefaultHistoryDir(getenv func(string) string) (string, error) {
	if d := getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "carpvm", "drills"), nil
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "state", "carpvm", "drills"), nil
	}
	return "", errors.New("failover: no history directory: neither $XDG_STATE_HOME nor $HOME is set; pass --history DIR")
}

// MaxHistoryLine is the longest history line read as a report: a report
// is a few KiB, so a longer line is damage, skipped without being held in
// memory.
const MaxHistoryLine = 1 << 20

// AppendHistory appends reps to dir's history, creating dir (0700). When
// the file does not end in a newline (a writer killed mid-line), the
// append starts on a new line, so that the torn line is the only loss.
func AppendHistory(dir string, reps []Report) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("failover: history directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, HistoryFile), os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("failover: open history: %w", err)
	}
	defer f.Close()
	var buf []byte
	torn, err := endsMidLine(f)
	if err != nil {
		return fmt.Errorf("failover: read history: %w", err)
	}
	if torn {
		buf = append(buf, '\n')
	}
	for _, r := range reps {
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("failover: encode history: %w", err)
		}
		buf = append(append(buf, b...), '\n')
	}
	// One write: concurrent appenders (O_APPEND) do not interleave lines.
	if _, err := f.Write(buf); err != nil {
		return fmt.Errorf("failover: write history: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("failover: write history: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("failover: write history: %w", err)
	}
	return nil
}

// endsMidLine says whether f is not empty and its last byte is not a
// newline.
func endsMidLine(f *os.File) (bool, error) {
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return false, err
	}
	var last [1]byte
	if _, err := f.ReadAt(last[:], fi.Size()-1); err != nil {
		return false, err
	}
	return last[0] != '\n', nil
}

// History is what ReadHistory found: the reports, oldest first, and the
// lines it skipped (torn, not a report, or longer than MaxHistoryLine).
type History struct {
	Runs []Report
	// Skipped counts the skipped lines; SkippedLines are the first
	// maxSkippedLines of their numbers (from 1).
	Skipped      int
	SkippedLines []int
}

const maxSkippedLines = 10

func (h *History) skip(line int) {
	h.Skipped++
	if len(h.SkippedLines) < maxSkippedLines {
		h.SkippedLines = append(h.SkippedLines, line)
	}
}

// SkippedNote says which lines were skipped, for stderr ("" when none).
func (h History) SkippedNote(dir string) string {
	if h.Skipped == 0 {
		return ""
	}
	nums := make([]string, len(h.SkippedLines))
	for i, n := range h.SkippedLines {
		nums[i] = strconv.Itoa(n)
	}
	more := ""
	if h.Skipped > len(h.SkippedLines) {
		more = ", ..."
	}
	return fmt.Sprintf("%d line(s) of %s skipped: not a drill report, torn, or longer than %d bytes (line %s%s)",
		h.Skipped, filepath.Join(dir, HistoryFile), MaxHistoryLine, strings.Join(nums, ", "), more)
}

// ReadHistory reads dir's history. A missing history is empty; a line that
// is not a report is skipped and counted, never an error.
func ReadHistory(dir string) (History, error) {
	f, err := os.Open(filepath.Join(dir, HistoryFile))
	if errors.Is(err, os.ErrNotExist) {
		return History{}, nil
	}
	if err != nil {
		return History{}, fmt.Errorf("failover: open history: %w", err)
	}
	defer f.Close()
	h, err := parseHistory(f)
	if err != nil {
		return History{}, fmt.Errorf("failover: read %s: %w", f.Name(), err)
	}
	return h, nil
}

func parseHistory(r io.Reader) (History, error) {
	var h History
	err := eachLine(r, MaxHistoryLine, func(line int, b []byte, tooLong bool) {
		if tooLong {
			h.skip(line)
			return
		}
		if len(bytes.TrimSpace(b)) == 0 {
			return
		}
		var rep Report
		if err := json.Unmarshal(b, &rep); err != nil {
			h.skip(line)
			return
		}
		h.Runs = append(h.Runs, rep)
	})
	return h, err
}

// eachLine calls fn with every line of r (without its newline), numbered
// from 1. A line longer than limit is passed as tooLong, without its bytes,
// and never held whole in memory.
func eachLine(r io.Reader, limit int, fn func(line int, b []byte, tooLong bool)) error {
	br := bufio.NewReaderSize(r, 64*1024)
	var cur []byte
	tooLong := false
	for line := 1; ; {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(cur)+len(chunk) > limit+1 { // +1: the newline
				tooLong, cur = true, cur[:0]
			} else {
				cur = append(cur, chunk...)
			}
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err != nil && !errors.Is(err, io.EOF):
			return err
		}
		if len(chunk) > 0 || len(cur) > 0 || tooLong {
			fn(line, bytes.TrimSuffix(cur, []byte("\n")), tooLong)
			line++
		}
		if err != nil { // io.EOF
			return nil
		}
		cur, tooLong = cur[:0], false
	}
}

// Trend summarises the runs of one pair, network and trigger.
type Trend struct {
	Pair    string    `json:"pair"`
	Network string    `json:"network"`
	Trigger string    `json:"trigger"`
	Runs    int       `json:"runs"`
	Passed  int       `json:"passed"`
	Last    time.Time `json:"last"`
	// LastPass is the last run's result.
	LastPass bool `json:"last_pass"`
	// Median and worst over every run that measured a new master.
	TakeoverMedianS float64 `json:"takeover_median_s"`
	TakeoverWorstS  float64 `json:"takeover_worst_s"`
	BlackoutMedianS float64 `json:"blackout_median_s"`
	BlackoutWorstS  float64 `json:"blackout_worst_s"`
	// Direction compares the last run's blackout with the median of the
	// runs before it: "better", "worse" (more than 20% apart), "steady",
	// or "" with fewer than two runs.
	Direction string `json:"direction"`
}

// Trends groups a history by pair, network and trigger, in order of first
// appearance.
func Trends(reps []Report) []Trend {
	type key struct{ pair, network, trigger string }
	groups := groupby.Ordered(reps, func(r Report) key { return key{r.Pair, r.Network, r.Trigger} })
	out := make([]Trend, 0, len(groups))
	for _, g := range groups {
		last := g[len(g)-1]
		t := Trend{Pair: last.Pair, Network: last.Network, Trigger: last.Trigger, Runs: len(g), Last: last.Started, LastPass: last.Pass}
		var take, black []float64
		for _, r := range g {
			if r.Pass {
				t.Passed++
			}
			if r.NewMaster != "" {
				take = append(take, r.TakeoverS)
				black = append(black, r.BlackoutS)
			}
		}
		t.TakeoverMedianS, t.TakeoverWorstS = Median(take), worst(take)
		t.BlackoutMedianS, t.BlackoutWorstS = Median(black), worst(black)
		if len(black) >= 2 {
			t.Direction = direction(Median(black[:len(black)-1]), black[len(black)-1])
		}
		out = append(out, t)
	}
	return out
}

func direction(before, last float64) string {
	switch {
	case last > before*1.2:
		return "worse"
	case last < before*0.8:
		return "better"
	}
	return "steady"
}

// Median returns the median of v (0 for none), without changing v.
func Median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func worst(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	return slices.Max(v)
}

// WriteHistoryTable prints the runs, then the trends.
func WriteHistoryTable(w io.Writer, tty bool, reps []Report) error {
	var rows [][]string
	for _, r := range reps {
		rows = append(rows, []string{
			r.Started.UTC().Format(time.RFC3339), r.Pair, r.Network, r.Trigger, dash(r.NewMaster),
			secs(r.TakeoverS, 0), secs(r.BlackoutS, 0), passFail(r.Pass),
		})
	}
	if err := table.Write(w, tty, []string{"STARTED", "PAIR", "NETWORK", "TRIGGER", "NEW MASTER", "TAKEOVER", "BLACKOUT", "RESULT"}, rows); err != nil {
		return err
	}
	rows = rows[:0]
	for _, t := range Trends(reps) {
		rows = append(rows, []string{
			t.Pair, t.Network, t.Trigger, fmt.Sprintf("%d/%d", t.Passed, t.Runs),
			secs(t.TakeoverMedianS, 0), secs(t.TakeoverWorstS, 0), secs(t.BlackoutMedianS, 0), secs(t.BlackoutWorstS, 0), dash(t.Direction),
		})
	}
	fmt.Fprintln(w)
	return table.Write(w, tty, []string{"PAIR", "NETWORK", "TRIGGER", "PASSED", "TAKEOVER MEDIAN", "TAKEOVER WORST", "BLACKOUT MEDIAN", "BLACKOUT WORST", "TREND"}, rows)
}

// PairRuns returns the runs of reps that drilled pair, in their order.
func PairRuns(reps []Report, pair string) []Report {
	var out []Report
	for _, r := range reps {
		if r.Pair == pair {
			out = append(out, r)
		}
	}
	return out
}

// Pairs returns the pairs reps drilled, sorted, each once.
func Pairs(reps []Report) []string {
	var out []string
	for _, r := range reps {
		if !slices.Contains(out, r.Pair) {
			out = append(out, r.Pair)
		}
	}
	slices.Sort(out)
	return out
}
