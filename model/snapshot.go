package model

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Snapshot is everything the analysis knows about a cluster. Its slices are sorted
// (namespaces and nodes by name, namespaced objects by namespace then name,
// workloads by id) so that every output built from it is deterministic.
type Snapshot struct {
	Namespaces []*Namespace
	// Pods holds live pods and template pods alike; Pod.Template tells them apart.
	Pods      []*Pod
	Workloads []*Workload
	Nodes     []*Node
	Services  []*Service
	Endpoints []*Endpoints
	Policies  []*NetworkPolicy
	// Networks are the catalogue entries found among the inputs (netreach/v1
	// NetworkCatalog documents).
	Networks []*Network
	// Skipped lists the objects of kinds the analysis does not read.
	Skipped []SkippedKind
	// Warnings are problems that did not stop loading, in input order.
	Warnings []string
	// Saved holds the objects read, reduced to the fields the analysis reads and
	// sorted by SortSaved, when LoadOptions.KeepObjects asked for them.
	Saved []*SavedObject
	// ReadNamespaces, when not empty, says the snapshot is partial: only the
	// namespaced objects of these namespaces were read (a live read with -n).
	// Empty means everything was read.
	ReadNamespaces []string
	// KubeSystemDaemonSets are kube-system's DaemonSets, read by a partial live
	// read outside its namespaces only so that the network plugin can be
	// detected; they are not part of the analysis (no pods, no workloads).
	KubeSystemDaemonSets []*Workload

	namespaceByName map[string]*Namespace
	podByID         map[string]*Pod
	podsByNamespace map[string][]*Pod
	policiesByNS    map[string][]*NetworkPolicy
	workloadByID    map[string]*Workload
	nodeByName      map[string]*Node
	podsByIP        map[netip.Addr][]*Pod
}

// SkippedKind counts the skipped objects of one apiVersion/kind.
type SkippedKind struct {
	// Kind is "apiVersion/kind", e.g. "v1/ConfigMap".
	Kind    string
	Objects []ObjectRef
}

// WasRead reports whether the namespaced objects of namespace ns were read:
// always, unless the snapshot is partial (ReadNamespaces).
func (s *Snapshot) WasRead(ns string) bool {
	return len(s.ReadNamespaces) == 0 || slices.Contains(s.ReadNamespaces, ns)
}

// Namespace returns the namespace called name, or nil.
func (s *Snapshot) Namespace(name string) *Namespace { return s.namespaceByName[name] }

// Pod returns the pod with id "namespace/name", or nil.
func (s *Snapshot) Pod(id string) *Pod { return s.podByID[id] }

// PodsIn returns the pods of a namespace, sorted by name.
func (s *Snapshot) PodsIn(namespace string) []*Pod { return s.podsByNamespace[namespace] }

// PoliciesIn returns the NetworkPolicies of a namespace, sorted by name.
func (s *Snapshot) PoliciesIn(namespace string) []*NetworkPolicy { return s.policiesByNS[namespace] }

// Workload returns the workload with id "namespace/Kind/name", or nil.
func (s *Snapshot) Workload(id string) *Workload { return s.workloadByID[id] }

// Node returns the node called name, or nil.
func (s *Snapshot) Node(name string) *Node { return s.nodeByName[name] }

// PodsWithIP returns the pods that have address ip (several when hostNetwork
// pods share their node's address).
func (s *Snapshot) PodsWithIP(ip netip.Addr) []*Pod { return s.podsByIP[ip] }

// SetNetworks adds catalogue networks, replacing those of the same name (a
// --networks file overrides the catalogue documents found among the inputs).
func (s *Snapshot) SetNetworks(nets []*Network) {
	byName := map[string]int{}
	for i, n := range s.Networks {
		byName[n.Name] = i
	}
	for _, n := range nets {
		if i, ok := byName[n.Name]; ok {
			s.Networks[i] = n
			continue
		}
		byName[n.Name] = len(s.Networks)
		s.Networks = append(s.Networks, n)
	}
	sort.SliceStable(s.Networks, func(i, j int) bool { return s.Networks[i].Name < s.Networks[j].Name })
}

// builder assembles a snapshot from decoded objects in input order.
type builder struct {
	opts *LoadOptions
	snap *Snapshot
	errs []*InputError
	seen map[string]Source // "Kind/ns/name" → where it was first defined

	pods      []*podRecord
	workloads []*workloadRecord
	skipped   map[string]*SkippedKind
}

func newBuilder(opts *LoadOptions) *builder {
	return &builder{opts: opts, snap: &Snapshot{}, seen: map[string]Source{}, skipped: map[string]*SkippedKind{}}
}

func (b *builder) warn(format string, args ...any) {
	b.snap.Warnings = append(b.snap.Warnings, fmt.Sprintf(format, args...))
}

// add takes one decoded object.
func (b *builder) add(d *decoded) {
	for _, w := range d.warns {
		b.warn("%s (%s): %s", d.src, d.ref, w)
	}
	if len(d.errs) > 0 {
		if b.opts.Lenient {
			for _, e := range d.errs {
				b.warn("skipped: %s", e)
			}
			return
		}
		b.errs = append(b.errs, d.errs...)
		return
	}
	if b.opts.catalogOnly && d.key != kindCatalog {
		b.errs = append(b.errs, &InputError{Source: d.src, Object: d.ref,
			Msg: "a network catalogue file may only hold apiVersion netreach/v1, kind NetworkCatalog documents"})
		return
	}
	if d.skipped != "" {
		sk := b.skipped[d.skipped]
		if sk == nil {
			sk = &SkippedKind{Kind: d.skipped}
			b.skipped[d.skipped] = sk
		}
		sk.Objects = append(sk.Objects, d.ref)
		return
	}
	if d.networks != nil {
		for _, n := range d.networks {
			if !b.unique("NetworkCatalog network "+n.Name, d.src, ObjectRef{Kind: "Network", Name: n.Name}) {
				continue
			}
			b.snap.Networks = append(b.snap.Networks, n)
		}
		return
	}
	if d.key == kindUnknown || d.key == kindCatalog {
		return
	}
	key := d.ref.Kind + "/" + d.ref.Namespace + "/" + d.ref.Name
	if !b.unique(key, d.src, d.ref) {
		return
	}
	if d.saved != nil {
		b.snap.Saved = append(b.snap.Saved, d.saved)
	}
	switch {
	case d.namespace != nil:
		b.snap.Namespaces = append(b.snap.Namespaces, d.namespace)
	case d.pod != nil:
		b.pods = append(b.pods, d.pod)
	case d.workload != nil:
		b.workloads = append(b.workloads, d.workload)
	case d.node != nil:
		b.snap.Nodes = append(b.snap.Nodes, d.node)
	case d.service != nil:
		b.snap.Services = append(b.snap.Services, d.service)
	case d.endpoints != nil:
		b.snap.Endpoints = append(b.snap.Endpoints, d.endpoints)
	case d.policy != nil:
		b.snap.Policies = append(b.snap.Policies, d.policy)
	}
}

// unique records key and reports a duplicate definition as an error.
func (b *builder) unique(key string, src Source, ref ObjectRef) bool {
	if first, dup := b.seen[key]; dup {
		e := &InputError{Source: src, Object: ref, Msg: "duplicate object: already defined at " + first.String()}
		if b.opts.Lenient {
			b.warn("skipped: %s", e)
		} else {
			b.errs = append(b.errs, e)
		}
		return false
	}
	b.seen[key] = src
	return true
}

// finish resolves workloads, adds template pods and namespaces, sorts and indexes.
func (b *builder) finish() (*Snapshot, error) {
	if len(b.errs) > 0 {
		return nil, &LoadError{Errors: b.errs}
	}
	s := b.snap
	b.resolveWorkloads()
	b.addMissingNamespaces()
	for _, sk := range b.skipped {
		s.Skipped = append(s.Skipped, *sk)
	}
	sort.Slice(s.Skipped, func(i, j int) bool { return s.Skipped[i].Kind < s.Skipped[j].Kind })
	SortSaved(s.Saved)
	s.index()
	return s, nil
}

// resolveWorkloads links pods to their controllers and gives controllers without
// live pods a representative template pod.
func (b *builder) resolveWorkloads() {
	s := b.snap
	byID := map[string]*Workload{}
	templates := map[string]*podTemplate{}
	// A ReplicaSet controlled by a Deployment, and a Job controlled by a CronJob,
	// stand for their owner.
	parent := map[string]string{} // "ns/Kind/name" of a ReplicaSet or Job → its owner's id
	for _, r := range b.workloads {
		w := r.w
		if owner := controllerOf(r.owners); owner != nil &&
			((w.Kind == "ReplicaSet" && owner.Kind == "Deployment") || (w.Kind == "Job" && owner.Kind == "CronJob")) {
			parent[w.ID()] = w.Namespace + "/" + owner.Kind + "/" + owner.Name
			continue
		}
		byID[w.ID()] = w
		if r.template != nil {
			templates[w.ID()] = r.template
		}
	}
	// A ReplicaSet or Job whose owner is not in the input stands in for it: the
	// owner is known by name, and its template is the child's.
	for _, r := range b.workloads {
		pid, ok := parent[r.w.ID()]
		if !ok {
			continue
		}
		if byID[pid] == nil {
			owner := controllerOf(r.owners)
			byID[pid] = &Workload{Kind: owner.Kind, Namespace: r.w.Namespace, Name: owner.Name, Images: r.w.Images}
		}
		if templates[pid] == nil && r.template != nil {
			templates[pid] = r.template
		}
	}

	for _, r := range b.pods {
		p := r.pod
		owner := controllerOf(r.owners)
		if owner == nil {
			continue
		}
		kind, name := owner.Kind, owner.Name
		id := p.Namespace + "/" + kind + "/" + name
		switch {
		case parent[id] != "":
			id = parent[id]
		case kind == "ReplicaSet" && byID[id] == nil:
			// The Deployment controller names its ReplicaSets "<deployment>-<pod-template-hash>".
			if h := p.Labels["pod-template-hash"]; h != "" && strings.HasSuffix(name, "-"+h) {
				id = p.Namespace + "/Deployment/" + strings.TrimSuffix(name, "-"+h)
			}
		}
		w := byID[id]
		if w == nil {
			parts := strings.SplitN(id, "/", 3)
			w = &Workload{Namespace: parts[0], Kind: parts[1], Name: parts[2]}
			byID[id] = w
		}
		p.Workload = w
		w.Pods = append(w.Pods, p)
		s.Pods = append(s.Pods, p)
	}
	for _, r := range b.pods {
		if r.pod.Workload == nil {
			s.Pods = append(s.Pods, r.pod)
		}
	}

	for id, w := range byID {
		s.Workloads = append(s.Workloads, w)
		if len(w.Pods) > 0 {
			continue
		}
		t := templates[id]
		if t == nil {
			continue
		}
		ports, _ := collectPorts(&t.Spec, nil)
		p := &Pod{
			Namespace:   w.Namespace,
			Name:        templatePodName(w),
			Labels:      labels.Set(t.Metadata.Labels),
			HostNetwork: t.Spec.HostNetwork,
			Ports:       ports,
			Workload:    w,
			Template:    true,
			Source:      w.Source,
		}
		w.Pods = append(w.Pods, p)
		s.Pods = append(s.Pods, p)
	}
}

// templatePodName names the representative pod of a workload with no live pods.
func templatePodName(w *Workload) string {
	return w.Name + "-" + strings.ToLower(w.Kind) + "-template"
}

// controllerOf returns the controlling owner reference, or the first one.
func controllerOf(refs []metav1.OwnerReference) *metav1.OwnerReference {
	for i := range refs {
		if refs[i].Controller != nil && *refs[i].Controller {
			return &refs[i]
		}
	}
	if len(refs) > 0 {
		return &refs[0]
	}
	return nil
}

// addMissingNamespaces creates the namespaces that objects live in but that the
// input does not define, each with only its kubernetes.io/metadata.name label.
func (b *builder) addMissingNamespaces() {
	s := b.snap
	have := map[string]bool{}
	for _, ns := range s.Namespaces {
		have[ns.Name] = true
	}
	need := func(name string) {
		if name == "" || have[name] {
			return
		}
		have[name] = true
		s.Namespaces = append(s.Namespaces, &Namespace{Name: name, Labels: labels.Set{"kubernetes.io/metadata.name": name}, Synthesized: true})
		b.warn("namespace %q is not in the input; assuming it has only the label kubernetes.io/metadata.name=%s", name, name)
	}
	for _, p := range s.Pods {
		need(p.Namespace)
	}
	for _, p := range s.Policies {
		need(p.Namespace())
	}
	for _, w := range s.Workloads {
		need(w.Namespace)
	}
	for _, svc := range s.Services {
		need(svc.Namespace)
	}
	for _, e := range s.Endpoints {
		need(e.Namespace)
	}
}

// index sorts the snapshot and builds its look-up tables.
func (s *Snapshot) index() {
	sort.Slice(s.Namespaces, func(i, j int) bool { return s.Namespaces[i].Name < s.Namespaces[j].Name })
	sort.Slice(s.Pods, func(i, j int) bool {
		return nsNameLess(s.Pods[i].Namespace, s.Pods[i].Name, s.Pods[j].Namespace, s.Pods[j].Name)
	})
	sort.Slice(s.Workloads, func(i, j int) bool { return s.Workloads[i].ID() < s.Workloads[j].ID() })
	sort.Slice(s.Nodes, func(i, j int) bool { return s.Nodes[i].Name < s.Nodes[j].Name })
	sort.Slice(s.Services, func(i, j int) bool {
		return nsNameLess(s.Services[i].Namespace, s.Services[i].Name, s.Services[j].Namespace, s.Services[j].Name)
	})
	sort.Slice(s.Endpoints, func(i, j int) bool {
		a, b := s.Endpoints[i], s.Endpoints[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return nsNameLess(a.Namespace, a.Name, b.Namespace, b.Name)
	})
	sort.Slice(s.Policies, func(i, j int) bool {
		a, b := s.Policies[i], s.Policies[j]
		return nsNameLess(a.Namespace(), a.Name(), b.Namespace(), b.Name())
	})
	sort.SliceStable(s.Networks, func(i, j int) bool { return s.Networks[i].Name < s.Networks[j].Name })
	for _, w := range s.Workloads {
		sort.Slice(w.Pods, func(i, j int) bool { return w.Pods[i].Name < w.Pods[j].Name })
	}

	s.namespaceByName = make(map[string]*Namespace, len(s.Namespaces))
	for _, ns := range s.Namespaces {
		s.namespaceByName[ns.Name] = ns
	}
	s.nodeByName = make(map[string]*Node, len(s.Nodes))
	for _, n := range s.Nodes {
		s.nodeByName[n.Name] = n
	}
	s.podByID = make(map[string]*Pod, len(s.Pods))
	s.podsByNamespace = map[string][]*Pod{}
	s.podsByIP = make(map[netip.Addr][]*Pod, len(s.Pods))
	for _, p := range s.Pods {
		// A hostNetwork pod has its node's address; fill it in when the pod status
		// does not say.
		if n := s.nodeByName[p.NodeName]; n != nil {
			ips := n.IPs()
			if !p.HostIP.IsValid() && len(ips) > 0 {
				p.HostIP = ips[0]
			}
			if p.HostNetwork && len(p.IPs) == 0 && !p.Template {
				p.IPs = ips
			}
		}
		s.podByID[p.ID()] = p
		s.podsByNamespace[p.Namespace] = append(s.podsByNamespace[p.Namespace], p)
		for _, ip := range p.IPs {
			s.podsByIP[ip] = append(s.podsByIP[ip], p)
		}
	}
	s.policiesByNS = map[string][]*NetworkPolicy{}
	for _, p := range s.Policies {
		s.policiesByNS[p.Namespace()] = append(s.policiesByNS[p.Namespace()], p)
	}
	s.workloadByID = make(map[string]*Workload, len(s.Workloads))
	for _, w := range s.Workloads {
		s.workloadByID[w.ID()] = w
	}
}

// nsNameLess orders namespaced objects by their id "namespace/name" as a string,
// without building the strings, so that every list is sorted by id.
func nsNameLess(ns1, n1, ns2, n2 string) bool {
	at := func(ns, n string, i int) int {
		switch {
		case i < len(ns):
			return int(ns[i])
		case i == len(ns):
			return '/'
		case i-len(ns)-1 < len(n):
			return int(n[i-len(ns)-1])
		}
		return -1
	}
	for i := 0; ; i++ {
		a, b := at(ns1, n1, i), at(ns2, n2, i)
		if a != b {
			return a < b
		}
		if a < 0 {
			return false
		}
	}
}
