package failover

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

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

// AppendHistory appends reps to dir's history, creating dir (0700).
func AppendHistory(dir string, reps []Report) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("failover: history directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, HistoryFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("failover: open history: %w", err)
	}
	var buf []byte
	for _, r := range reps {
		b, err := json.Marshal(r)
		if err != nil {
			f.Close()
			return fmt.Errorf("failover: encode history: %w", err)
		}
		buf = append(append(buf, b...), '\n')
	}
	// One write: concurrent appenders (O_APPEND) do not interleave lines.
	if _, err := f.Write(buf); err != nil {
		f.Close()
		return fmt.Errorf("failover: write history: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("failover: write history: %w", err)
	}
	return nil
}

// ReadHistory reads dir's history, oldest first. A missing history is
// empty; a line that is not a report is an error naming the line.
func ReadHistory(dir string) ([]Report, error) {
	f, err := os.Open(filepath.Join(dir, HistoryFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failover: open history: %w", err)
	}
	defer f.Close()
	return parseHistory(f, f.Name())
}

func parseHistory(r io.Reader, name string) ([]Report, error) {
	var reps []Report
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var rep Report
		if err := json.Unmarshal(sc.Bytes(), &rep); err != nil {
			return nil, fmt.Errorf("failover: %s line %d: want one JSON drill report: %w", name, line, err)
		}
		reps = append(reps, rep)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("failover: read %s: %w", name, err)
	}
	return reps, nil
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
	idx := map[key]int{}
	var groups [][]Report
	for _, r := range reps {
		k := key{r.Pair, r.Network, r.Trigger}
		i, ok := idx[k]
		if !ok {
			i = len(groups)
			idx[k] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], r)
	}
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
