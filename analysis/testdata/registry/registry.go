// A plugin registry, as large servers hold their modules: forty module
// types, each registered by a constructor, each set up through one loader.
// Every module's object flows through the loader's calls, and one handler
// reaches the same write at forty lines. The analysis ends with its bounds
// hit, says where, and stays sound: the write still conflicts.
//
// The module types are alike on purpose; TestRegistry reads the result.
package main

import (
	"context"

	"github.com/safels/safels/loop"
)

type Module interface {
	Setup(d *Decoder)
	base() *Base
}

type Decoder struct {
	count int
}

// Base is what every module embeds: the loader attaches the decoder.
type Base struct {
	dec  *Decoder
	tags []string
}

var (
	global   Decoder
	registry = map[string]func() Module{}
)

type M00 struct {
	Base
	n int
}

func (m *M00) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M00) base() *Base { return &m.Base }

func init() { registry["m00"] = func() Module { return new(M00) } }

type M01 struct {
	Base
	n int
}

func (m *M01) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M01) base() *Base { return &m.Base }

func init() { registry["m01"] = func() Module { return new(M01) } }

type M02 struct {
	Base
	n int
}

func (m *M02) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M02) base() *Base { return &m.Base }

func init() { registry["m02"] = func() Module { return new(M02) } }

type M03 struct {
	Base
	n int
}

func (m *M03) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M03) base() *Base { return &m.Base }

func init() { registry["m03"] = func() Module { return new(M03) } }

type M04 struct {
	Base
	n int
}

func (m *M04) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M04) base() *Base { return &m.Base }

func init() { registry["m04"] = func() Module { return new(M04) } }

type M05 struct {
	Base
	n int
}

func (m *M05) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M05) base() *Base { return &m.Base }

func init() { registry["m05"] = func() Module { return new(M05) } }

type M06 struct {
	Base
	n int
}

func (m *M06) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M06) base() *Base { return &m.Base }

func init() { registry["m06"] = func() Module { return new(M06) } }

type M07 struct {
	Base
	n int
}

func (m *M07) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M07) base() *Base { return &m.Base }

func init() { registry["m07"] = func() Module { return new(M07) } }

type M08 struct {
	Base
	n int
}

func (m *M08) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M08) base() *Base { return &m.Base }

func init() { registry["m08"] = func() Module { return new(M08) } }

type M09 struct {
	Base
	n int
}

func (m *M09) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M09) base() *Base { return &m.Base }

func init() { registry["m09"] = func() Module { return new(M09) } }

type M10 struct {
	Base
	n int
}

func (m *M10) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M10) base() *Base { return &m.Base }

func init() { registry["m10"] = func() Module { return new(M10) } }

type M11 struct {
	Base
	n int
}

func (m *M11) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M11) base() *Base { return &m.Base }

func init() { registry["m11"] = func() Module { return new(M11) } }

type M12 struct {
	Base
	n int
}

func (m *M12) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M12) base() *Base { return &m.Base }

func init() { registry["m12"] = func() Module { return new(M12) } }

type M13 struct {
	Base
	n int
}

func (m *M13) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M13) base() *Base { return &m.Base }

func init() { registry["m13"] = func() Module { return new(M13) } }

type M14 struct {
	Base
	n int
}

func (m *M14) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M14) base() *Base { return &m.Base }

func init() { registry["m14"] = func() Module { return new(M14) } }

type M15 struct {
	Base
	n int
}

func (m *M15) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M15) base() *Base { return &m.Base }

func init() { registry["m15"] = func() Module { return new(M15) } }

type M16 struct {
	Base
	n int
}

func (m *M16) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M16) base() *Base { return &m.Base }

func init() { registry["m16"] = func() Module { return new(M16) } }

type M17 struct {
	Base
	n int
}

func (m *M17) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M17) base() *Base { return &m.Base }

func init() { registry["m17"] = func() Module { return new(M17) } }

type M18 struct {
	Base
	n int
}

func (m *M18) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M18) base() *Base { return &m.Base }

func init() { registry["m18"] = func() Module { return new(M18) } }

type M19 struct {
	Base
	n int
}

func (m *M19) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M19) base() *Base { return &m.Base }

func init() { registry["m19"] = func() Module { return new(M19) } }

type M20 struct {
	Base
	n int
}

func (m *M20) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M20) base() *Base { return &m.Base }

func init() { registry["m20"] = func() Module { return new(M20) } }

type M21 struct {
	Base
	n int
}

func (m *M21) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M21) base() *Base { return &m.Base }

func init() { registry["m21"] = func() Module { return new(M21) } }

type M22 struct {
	Base
	n int
}

func (m *M22) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M22) base() *Base { return &m.Base }

func init() { registry["m22"] = func() Module { return new(M22) } }

type M23 struct {
	Base
	n int
}

func (m *M23) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M23) base() *Base { return &m.Base }

func init() { registry["m23"] = func() Module { return new(M23) } }

type M24 struct {
	Base
	n int
}

func (m *M24) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M24) base() *Base { return &m.Base }

func init() { registry["m24"] = func() Module { return new(M24) } }

type M25 struct {
	Base
	n int
}

func (m *M25) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M25) base() *Base { return &m.Base }

func init() { registry["m25"] = func() Module { return new(M25) } }

type M26 struct {
	Base
	n int
}

func (m *M26) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M26) base() *Base { return &m.Base }

func init() { registry["m26"] = func() Module { return new(M26) } }

type M27 struct {
	Base
	n int
}

func (m *M27) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M27) base() *Base { return &m.Base }

func init() { registry["m27"] = func() Module { return new(M27) } }

type M28 struct {
	Base
	n int
}

func (m *M28) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M28) base() *Base { return &m.Base }

func init() { registry["m28"] = func() Module { return new(M28) } }

type M29 struct {
	Base
	n int
}

func (m *M29) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M29) base() *Base { return &m.Base }

func init() { registry["m29"] = func() Module { return new(M29) } }

type M30 struct {
	Base
	n int
}

func (m *M30) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M30) base() *Base { return &m.Base }

func init() { registry["m30"] = func() Module { return new(M30) } }

type M31 struct {
	Base
	n int
}

func (m *M31) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M31) base() *Base { return &m.Base }

func init() { registry["m31"] = func() Module { return new(M31) } }

type M32 struct {
	Base
	n int
}

func (m *M32) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M32) base() *Base { return &m.Base }

func init() { registry["m32"] = func() Module { return new(M32) } }

type M33 struct {
	Base
	n int
}

func (m *M33) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M33) base() *Base { return &m.Base }

func init() { registry["m33"] = func() Module { return new(M33) } }

type M34 struct {
	Base
	n int
}

func (m *M34) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M34) base() *Base { return &m.Base }

func init() { registry["m34"] = func() Module { return new(M34) } }

type M35 struct {
	Base
	n int
}

func (m *M35) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M35) base() *Base { return &m.Base }

func init() { registry["m35"] = func() Module { return new(M35) } }

type M36 struct {
	Base
	n int
}

func (m *M36) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M36) base() *Base { return &m.Base }

func init() { registry["m36"] = func() Module { return new(M36) } }

type M37 struct {
	Base
	n int
}

func (m *M37) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M37) base() *Base { return &m.Base }

func init() { registry["m37"] = func() Module { return new(M37) } }

type M38 struct {
	Base
	n int
}

func (m *M38) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M38) base() *Base { return &m.Base }

func init() { registry["m38"] = func() Module { return new(M38) } }

type M39 struct {
	Base
	n int
}

func (m *M39) Setup(d *Decoder) {
	d.count++
	m.n++
}

func (m *M39) base() *Base { return &m.Base }

func init() { registry["m39"] = func() Module { return new(M39) } }

// attach stores into the Base of whichever module it is given: forty
// objects at one store.
func attach(b *Base, d *Decoder) {
	b.dec = d
	b.tags = append(b.tags, "loaded")
}

func load(d *Decoder, name string) Module {
	m := registry[name]()
	m.Setup(d)
	attach(m.base(), d)
	return m
}

type conn struct {
	name string
	mod  Module
}

func handleLoad(l *loop.Loop, c *conn) {
	c.mod = load(&global, c.name)
}

func handleReset(l *loop.Loop, c *conn) {
	global.count = 0
}

func main() {
	l := loop.New()
	loop.Post(l, handleLoad, &conn{name: "m00"})
	loop.Post(l, handleReset, &conn{})
	l.Run(context.Background())
}
