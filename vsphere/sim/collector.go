package sim

import (
	"crypto/rand"
	"encoding/hex"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// pagedCollector is the simulator's PropertyCollector: vcsim's, except
// for the retrievals (RetrieveProperties, RetrievePropertiesEx and its
// Continue and Cancel), which it answers itself with the same results.
// vcsim copies every object it returns through an XML encoding and
// decoding while the object is locked (at 40,000 VMs about two thirds of
// the simulator's CPU for one preflight) and collects every page of a
// paged retrieval up front; this collector copies values directly and
// collects each page when it is asked for, holding only the remaining
// objects' references between pages.
//
// vcsim gives each session its own instance of the collector's type (a
// zero value); the pages of a retrieval live in the registry's instance,
// which installCollector makes.
type pagedCollector struct {
	simulator.PropertyCollector

	pages *pageBook // only the registry's instance has one
}

// installCollector puts a pagedCollector in place of vcsim's
// PropertyCollector in r, before any session has made its own.
func installCollector(r *simulator.Registry) {
	si, ok := r.Get(vim25.ServiceInstance).(*simulator.ServiceInstance)
	if !ok {
		return
	}
	pc := &pagedCollector{pages: &pageBook{open: map[string]*pendingPages{}}}
	pc.Self = si.Content.PropertyCollector
	r.Put(pc)
}

// book is the registry's page book, reached from any session's instance.
func (pc *pagedCollector) book(ctx *simulator.Context) *pageBook {
	if pc.pages != nil {
		return pc.pages
	}
	if root, ok := ctx.Map.Get(pc.Self).(*pagedCollector); ok && root.pages != nil {
		return root.pages
	}
	return nil
}

// pageBook holds the retrievals that have pages left, by token.
type pageBook struct {
	mu   sync.Mutex
	open map[string]*pendingPages
}

// pendingPages is what a retrieval has left to collect.
type pendingPages struct {
	c    *collection
	max  int
	refs []types.ManagedObjectReference
}

func (b *pageBook) put(p *pendingPages) string {
	t := make([]byte, 16)
	_, _ = rand.Read(t)
	token := hex.EncodeToString(t)
	b.mu.Lock()
	b.open[token] = p
	b.mu.Unlock()
	return token
}

func (b *pageBook) take(token string) *pendingPages {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.open[token]
	delete(b.open, token)
	return p
}

// RetrievePropertiesEx answers the first page of a retrieval.
func (pc *pagedCollector) RetrievePropertiesEx(ctx *simulator.Context, r *types.RetrievePropertiesEx) soap.HasFault {
	book := pc.book(ctx)
	if book == nil {
		return pc.PropertyCollector.RetrievePropertiesEx(ctx, r)
	}
	body := &methods.RetrievePropertiesExBody{}
	c := newCollection(ctx, r.SpecSet)
	refs, fault := c.selectObjects()
	if fault != nil {
		body.Fault_ = collectFault(fault)
		return body
	}
	res := pc.page(book, &pendingPages{c: c, max: int(r.Options.MaxObjects), refs: refs})
	body.Res = &types.RetrievePropertiesExResponse{Returnval: res}
	return body
}

// ContinueRetrievePropertiesEx answers a retrieval's next page.
func (pc *pagedCollector) ContinueRetrievePropertiesEx(ctx *simulator.Context, r *types.ContinueRetrievePropertiesEx) soap.HasFault {
	book := pc.book(ctx)
	if book == nil {
		return pc.PropertyCollector.ContinueRetrievePropertiesEx(ctx, r)
	}
	body := &methods.ContinueRetrievePropertiesExBody{}
	p := book.take(r.Token)
	if r.Token == "" || p == nil {
		body.Fault_ = simulator.Fault("", &types.InvalidPropertyFault{Name: "token"})
		return body
	}
	p.c.ctx = ctx // this call's session and locking identity
	body.Res = &types.ContinueRetrievePropertiesExResponse{Returnval: *pc.page(book, p)}
	return body
}

// CancelRetrievePropertiesEx drops a retrieval's remaining pages.
func (pc *pagedCollector) CancelRetrievePropertiesEx(ctx *simulator.Context, r *types.CancelRetrievePropertiesEx) soap.HasFault {
	body := &methods.CancelRetrievePropertiesExBody{}
	book := pc.book(ctx)
	if book == nil || r.Token == "" || book.take(r.Token) == nil {
		body.Fault_ = simulator.Fault("", &types.InvalidPropertyFault{Name: "token"})
		return body
	}
	body.Res = &types.CancelRetrievePropertiesExResponse{}
	return body
}

// RetrieveProperties answers every object at once.
func (pc *pagedCollector) RetrieveProperties(ctx *simulator.Context, r *types.RetrieveProperties) soap.HasFault {
	res := pc.RetrievePropertiesEx(ctx, &types.RetrievePropertiesEx{This: r.This, SpecSet: r.SpecSet})
	body := &methods.RetrievePropertiesBody{}
	if f := res.Fault(); f != nil {
		body.Fault_ = f
		return body
	}
	body.Res = &types.RetrievePropertiesResponse{}
	if ex := res.(*methods.RetrievePropertiesExBody).Res; ex != nil && ex.Returnval != nil {
		body.Res.Returnval = ex.Returnval.Objects
	}
	return body
}

// page collects up to p.max objects (all when p.max is not positive) of
// p's references, booking the rest under a token.
func (pc *pagedCollector) page(book *pageBook, p *pendingPages) *types.RetrieveResult {
	res := &types.RetrieveResult{}
	for len(p.refs) > 0 && (p.max <= 0 || len(res.Objects) < p.max) {
		ref := p.refs[0]
		p.refs = p.refs[1:]
		if oc, ok := p.c.collect(ref); ok {
			res.Objects = append(res.Objects, oc)
		}
	}
	if len(p.refs) > 0 {
		res.Token = book.put(p)
	}
	return res
}

// collectFault is a retrieval's fault as vcsim words it.
func collectFault(f types.BaseMethodFault) *soap.Fault {
	if _, ok := f.(*types.ManagedObjectNotFound); ok {
		return simulator.Fault("The object has already been deleted or has not been completely created", f)
	}
	return simulator.Fault("", f)
}
