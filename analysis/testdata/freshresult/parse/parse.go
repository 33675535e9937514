// Package parse returns what url.Parse makes: the URL, or an error
// wrapping its error. Asked in that order by a run that reuses this
// package's summary, the error's memory must not take the URL's type.
package parse

import (
	"fmt"
	"net/url"
)

// Parse parses raw as an https URL.
func Parse(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("parse %q: %w", raw, err)
	}
	u.Scheme = "https"
	return u, nil
}

// Must is Parse that panics.
func Must(raw string) *url.URL {
	u, err := Parse(raw)
	if err != nil {
		panic(err)
	}
	return u
}
