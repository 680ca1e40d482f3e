package localstorage

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// parallelMinBytes is the table size below which a scan runs on one
// goroutine: a typical profile's Local Storage is a few megabytes, read
// faster than goroutines pay off.
const parallelMinBytes = 8 << 20

// maxScanWorkers bounds the key ranges read at once.
const maxScanWorkers = 4

// scanWorkers is how many key ranges a large scan reads at once.
func scanWorkers() int { return min(runtime.GOMAXPROCS(0), maxScanWorkers) }

// splitKeys picks up to parts-1 keys splitting the key space into ranges of
// roughly equal table bytes. Any keys would be correct — each range is read
// through goleveldb's own merging iterator, which applies every level, log,
// overwrite and deletion — so the choice only affects balance. Tables below
// level 0 do not overlap within a level: sorted by smallest key, their sizes
// say where the bytes lie. Level-0 tables (and the log) each span much of the
// key space and are left out of the count. Tables under minBytes in all are
// not split.
func splitKeys(tables map[int64]manifestTable, parts int, minBytes int64) [][]byte {
	if parts < 2 {
		return nil
	}
	var all, total int64
	list := make([]manifestTable, 0, len(tables))
	for _, t := range tables {
		all += t.size
		if t.level > 0 {
			list = append(list, t)
			total += t.size
		}
	}
	if all < minBytes {
		return nil
	}
	slices.SortFunc(list, func(a, b manifestTable) int { return bytes.Compare(a.minKey, b.minKey) })
	var splits [][]byte
	var below int64
	for _, t := range list {
		want := total * int64(len(splits)+1) / int64(parts)
		if below >= want && len(t.minKey) > 0 && (len(splits) == 0 || bytes.Compare(t.minKey, splits[len(splits)-1]) > 0) {
			splits = append(splits, t.minKey)
			if len(splits) == parts-1 {
				break
			}
		}
		below += t.size
	}
	return splits
}

// scanRows visits every row of db into scan: the key ranges between splits
// (strictly increasing) are read concurrently, each by its own iterator into
// its own partial scan, and the partial scans are merged in key order, so the
// result is the same as one iteration's. The first iterator error (damage)
// stops the others.
func scanRows(ctx context.Context, db *leveldb.DB, splits [][]byte, scan *Scan, classify Classify) error {
	increasing := true
	for i := 1; i < len(splits); i++ {
		increasing = increasing && bytes.Compare(splits[i-1], splits[i]) < 0
	}
	if len(splits) == 0 || !increasing {
		// Out-of-order splits would make empty ranges and lose rows.
		return scanRange(ctx, db, nil, scan, classify)
	}
	bounds := append(append([][]byte{nil}, splits...), nil)
	parts := make([]*Scan, len(bounds)-1)
	errs := make([]error, len(parts))
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for i := range parts {
		parts[i] = &Scan{Origins: map[string]*OriginInfo{}}
		r := &util.Range{Start: bounds[i], Limit: bounds[i+1]}
		wg.Go(func() {
			if errs[i] = scanRange(rctx, db, r, parts[i], classify); errs[i] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	for _, p := range parts {
		scan.merge(p)
	}
	return nil
}

// scanRange visits the rows of r (nil: all) into scan.
func scanRange(ctx context.Context, db *leveldb.DB, r *util.Range, scan *Scan, classify Classify) error {
	it := db.NewIterator(r, &opt.ReadOptions{DontFillCache: true, Strict: opt.StrictAll})
	defer it.Release()
	v := visitor{scan: scan, classify: classify}
	for rows := 0; it.Next(); rows++ {
		if rows&0xfff == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		v.row(it.Key(), it.Value())
	}
	return it.Error()
}

// merge adds p, the scan of the key range right after those merged so far.
// A storage key's rows may straddle ranges: its counts add up.
func (s *Scan) merge(p *Scan) {
	if p.Version != "" {
		s.Version = p.Version
	}
	s.Items += p.Items
	s.Undecodable += p.Undecodable
	s.Matches = append(s.Matches, p.Matches...)
	for name, o := range p.Origins {
		cur := s.Origins[name]
		if cur == nil {
			s.Origins[name] = o
			continue
		}
		cur.Items += o.Items
		cur.HasAccess = cur.HasAccess || o.HasAccess
		if o.Meta != nil {
			cur.Meta = o.Meta
		}
	}
}

// visitor accumulates rows into a scan. Rows arrive sorted, so an origin's
// items are consecutive and its OriginInfo is looked up once per origin.
type visitor struct {
	scan       *Scan
	classify   Classify
	lastOrigin []byte
	cur        *OriginInfo
}

func (v *visitor) origin(name string) *OriginInfo {
	oi := v.scan.Origins[name]
	if oi == nil {
		oi = &OriginInfo{}
		v.scan.Origins[name] = oi
	}
	return oi
}

func (v *visitor) row(k, val []byte) {
	switch {
	case len(k) > 0 && k[0] == ItemPrefix:
		v.item(k, val)
	case string(k) == VersionKey:
		v.scan.Version = string(val)
	case bytes.HasPrefix(k, []byte(MetaAccessPrefix)):
		v.origin(string(k[len(MetaAccessPrefix):])).HasAccess = true
	case bytes.HasPrefix(k, []byte(MetaPrefix)):
		if meta, ok := DecodeMeta(val); ok {
			v.origin(string(k[len(MetaPrefix):])).Meta = &meta
		}
	}
}

func (v *visitor) item(k, val []byte) {
	origin, encKey, ok := SplitItemKey(k)
	if !ok {
		v.scan.Undecodable++
		return
	}
	if v.cur == nil || !bytes.Equal(origin, v.lastOrigin) {
		v.lastOrigin = append(v.lastOrigin[:0], origin...)
		v.cur = v.origin(string(origin))
	}
	v.cur.Items++
	v.scan.Items++
	if !Decodable(encKey) {
		v.scan.Undecodable++
		return
	}
	if v.classify == nil {
		return
	}
	// Classifying works on the stored bytes and decodes only the rows kept:
	// most rows are decided without an allocation.
	class := v.classify(encKey, val)
	if class == 0 {
		return
	}
	it, ok := DecodeItem(k, val)
	if !ok {
		v.scan.Undecodable++
		return
	}
	v.scan.Matches = append(v.scan.Matches, Hit{
		Item: it, Class: class,
		RowKey: bytes.Clone(k), RowValue: bytes.Clone(val),
	})
}
