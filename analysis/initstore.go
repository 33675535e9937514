package analysis

import "golang.org/x/tools/go/ssa"

// Initializing stores: the stores that fill an object just allocated,
// before anything else uses it (the fields of &mbox{messages: m}, set
// before the object is stored anywhere).
//
// No other invocation can reach an object before its pointer is stored,
// passed or returned, so such a store is no access of shared memory, even
// when the object is shared later. Whoever reaches it later does so
// through the store that publishes it: where that store is synchronized
// (a mutex, a channel, an atomic), the initializing writes happen before
// any access by another invocation; where it is not, the two handlers
// already conflict on the slot it is stored into.
//
// The scan is short and local: it follows the allocation in its own
// block, through the addresses of its fields and elements, and stops at
// the first instruction that uses the object otherwise (a call, a store
// of its pointer, a load: whatever might let it be seen).
func initStores(fn *ssa.Function) map[*ssa.Store]bool {
	var out map[*ssa.Store]bool
	for _, b := range fn.Blocks {
		for i, instr := range b.Instrs {
			al, ok := instr.(*ssa.Alloc)
			if !ok || !al.Heap {
				continue
			}
			inside := map[ssa.Value]bool{al: true}
		scan:
			for _, next := range b.Instrs[i+1:] {
				switch in := next.(type) {
				case *ssa.FieldAddr:
					if inside[in.X] {
						inside[in] = true
						continue
					}
				case *ssa.IndexAddr:
					if inside[in.X] && !inside[in.Index] {
						inside[in] = true
						continue
					}
				case *ssa.Store:
					if inside[in.Addr] && !inside[in.Val] {
						if out == nil {
							out = map[*ssa.Store]bool{}
						}
						out[in] = true
						continue
					}
				case *ssa.DebugRef:
					continue
				}
				var ops []*ssa.Value
				for _, op := range next.Operands(ops) {
					if *op != nil && inside[*op] {
						break scan // used otherwise: it may be seen from here on
					}
				}
			}
		}
	}
	return out
}
