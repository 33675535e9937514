package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestMemProfile: -memprofile writes a heap profile (gzipped protocol
// buffers whose sample types are the heap's), also on a run short enough
// that no tick came: then the heap as the run ends.
func TestMemProfile(t *testing.T) {
	dir, err := filepath.Abs("../../testdata/thttpd")
	if err != nil {
		t.Fatal(err)
	}
	prof := filepath.Join(t.TempDir(), "heap.prof")
	_, errOut, code := runSafels(t, dir, "check", "-memprofile", prof, ".")
	if code == exitError {
		t.Fatalf("check -memprofile: exit %d; stderr:\n%s", code, errOut)
	}
	data, err := os.ReadFile(prof)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("profile of %d bytes is not gzipped: %v", len(data), err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte("inuse_space")) {
		t.Errorf("profile of %d bytes has no heap sample type", len(raw))
	}
	if _, errOut, _ := runSafels(t, dir, "check", "-memprofile", filepath.Join(dir, "no", "such", "dir", "heap.prof"), "."); !bytes.Contains([]byte(errOut), []byte("no such file")) {
		t.Errorf("an unwritable profile path: stderr %q, want the error", errOut)
	}
}
