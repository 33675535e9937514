// Package state is shared by the two programs of this module.
package state

var Hits, Tags int
