// Command safels is the one binary of safels: with no arguments it will be
// a language server on stdio; `safels check` reports handler conflicts like
// `go vet`; `safels version` prints its version.
package main

import (
	"fmt"
	"io"
	"os"
)

// version is set at release time with -ldflags "-X main.version=...".
var version = "devel"

const usage = `usage: safels <command> [arguments]

commands:
  check [-json] [-matrix] [patterns...]   report handlers that may share data unsafely
  version                                 print the version

Run 'safels check -h' for the flags of check.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, "safels: the language server is not built yet\n\n"+usage)
		return 2
	}
	switch args[0] {
	case "check":
		return check(args[1:], stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintf(stdout, "safels %s\n", version)
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "safels: unknown command %q\n\n%s", args[0], usage)
	return 2
}
