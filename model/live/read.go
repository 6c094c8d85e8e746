package live

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing/fstest"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/netreach/netreach/model"
)

// Options say which cluster to read and how.
type Options struct {
	// Kubeconfig is the kubeconfig file (--kubeconfig). When empty, client-go's
	// loading rules apply: the files of $KUBECONFIG, else ~/.kube/config, else
	// the in-cluster service account when running in a pod.
	Kubeconfig string
	// Context is the kubeconfig context (--context); the current one when empty.
	Context string
	// Namespace limits the namespaced kinds to one namespace; all when empty.
	// Namespaces and Nodes are always listed whole.
	Namespace string
	// RequestTimeout bounds each request to the API server; none when 0.
	RequestTimeout time.Duration
	// PageSize is the limit of each paginated list call; 500 when 0.
	PageSize int64
	// Progress, when set, receives a progress line once reading has taken
	// ProgressDelay (1s when 0), updated in place and erased at the end.
	Progress      io.Writer
	ProgressDelay time.Duration
	// UserAgent names the client to the API server.
	UserAgent string
	// Load is passed to model.Load (Lenient, KeepObjects); its FS, FSName and
	// DefaultNamespace are set by Read.
	Load model.LoadOptions
}

// Cluster names the cluster that was read.
type Cluster struct {
	// Context is the kubeconfig context, or "in-cluster".
	Context string
	// Server is the API server URL.
	Server string
}

// Read lists every kind of Resources from the cluster that opts select and
// returns the snapshot model.Load builds from them, with a warning for every
// optional kind that could not be listed.
func Read(ctx context.Context, opts Options) (*model.Snapshot, Cluster, error) {
	cfg, cluster, err := restConfig(opts)
	if err != nil {
		return nil, cluster, err
	}
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, cluster, fmt.Errorf("cannot make a client for context %q: %w", cluster.Context, err)
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 500
	}

	// A required kind that fails ends the read: the optional lists still
	// running are cancelled, while the other required ones finish so that
	// every reason the read fails is reported.
	optionalCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]listResult, len(Resources))
	var counted atomic.Int64
	var kindsDone atomic.Int32
	var wg sync.WaitGroup
	for i, res := range Resources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer kindsDone.Add(1)
			listCtx := optionalCtx
			if res.Required {
				listCtx = ctx
			}
			results[i] = listAll(listCtx, client, res, opts, &counted)
			if results[i].err != nil && res.Required {
				cancel()
			}
		}()
	}
	// A read of one namespace still lists kube-system's DaemonSets, so that
	// --enforcement=auto can recognise the network plugin.
	var plugin listResult
	pluginRes, pluginOpts := pluginResource(opts)
	if pluginOpts != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			plugin = listAll(optionalCtx, client, pluginRes, *pluginOpts, &counted)
		}()
	}
	stopProgress := startProgress(opts, cluster, &counted, &kindsDone)
	wg.Wait()
	stopProgress()

	var warns []string
	var objs []*model.SavedObject
	if err := describeFailures(results, cluster, opts); err != nil {
		return nil, cluster, err
	}
	if err := checkNamespace(results, cluster, opts, &warns); err != nil {
		return nil, cluster, err
	}
	for i, r := range results {
		if r.err != nil {
			warns = append(warns, optionalFailure(Resources[i], r.err, cluster, opts))
			continue
		}
		objs = append(objs, r.objs...)
	}
	model.SortSaved(objs)

	name := fileName(cluster.Context)
	lo := opts.Load
	data, err := listJSON(objs)
	if err != nil {
		return nil, cluster, err
	}
	lo.FS = fstest.MapFS{name: &fstest.MapFile{Data: data}}
	lo.FSName = "cluster"
	lo.Cluster = cluster.Context
	lo.DefaultNamespace = "default"
	snap, err := model.Load([]string{name}, lo)
	if err != nil {
		return nil, cluster, err
	}
	if opts.Namespace != "" {
		snap.ReadNamespaces = []string{opts.Namespace}
	}
	if pluginOpts != nil {
		if plugin.err != nil {
			warns = append(warns, optionalFailure(pluginRes, plugin.err, cluster, *pluginOpts))
		} else if snap.KubeSystemDaemonSets, err = loadDaemonSets(plugin.objs, cluster, opts.Load); err != nil {
			return nil, cluster, err
		}
	}
	snap.Warnings = append(warns, snap.Warnings...)
	return snap, cluster, nil
}

// pluginResource is the DaemonSet kind to list in kube-system besides the
// namespace read, with what its absence loses; nil options when the read
// covers kube-system already.
func pluginResource(opts Options) (Resource, *Options) {
	if opts.Namespace == "" || opts.Namespace == pluginNamespace {
		return Resource{}, nil
	}
	for _, r := range Resources {
		if r.Kind == "DaemonSet" {
			r.Loss = pluginLoss
			o := opts
			o.Namespace = pluginNamespace
			return r, &o
		}
	}
	return Resource{}, nil
}

// loadDaemonSets turns kube-system's DaemonSets into workloads, through the
// same loader as the rest of the read.
func loadDaemonSets(objs []*model.SavedObject, cluster Cluster, lo model.LoadOptions) ([]*model.Workload, error) {
	if len(objs) == 0 {
		return nil, nil
	}
	model.SortSaved(objs)
	data, err := listJSON(objs)
	if err != nil {
		return nil, err
	}
	name := "kube-system-" + fileName(cluster.Context)
	lo.FS = fstest.MapFS{name: &fstest.MapFile{Data: data}}
	lo.FSName, lo.Cluster, lo.DefaultNamespace = "cluster", cluster.Context, pluginNamespace
	lo.KeepObjects, lo.ExtraPaths = false, nil
	snap, err := model.Load([]string{name}, lo)
	if err != nil {
		return nil, err
	}
	var out []*model.Workload
	for _, w := range snap.Workloads {
		if w.Kind == "DaemonSet" {
			out = append(out, w)
		}
	}
	return out, nil
}

// checkNamespace makes sure the namespace -n names exists. Namespaces are
// listed whole, so a name missing from the list is a mistake (exit 2 rather
// than an audit of nothing); when listing them was forbidden, a read that
// found no pod gets a warning, since the name cannot be checked.
func checkNamespace(results []listResult, cluster Cluster, opts Options, warns *[]string) error {
	if opts.Namespace == "" {
		return nil
	}
	var names []string
	pods := 0
	listed := true
	for i, r := range results {
		switch Resources[i].Kind {
		case "Namespace":
			if r.err != nil {
				listed = false
			}
			for _, o := range r.objs {
				names = append(names, o.Name)
			}
		case "Pod":
			pods = len(r.objs)
		}
	}
	if !listed {
		if pods == 0 {
			*warns = append(*warns, fmt.Sprintf("no pod was read in namespace %q of context %q, and listing namespaces is forbidden, so netreach cannot tell whether the namespace exists: check the name given to -n",
				opts.Namespace, cluster.Context))
		}
		return nil
	}
	if slices.Contains(names, opts.Namespace) {
		return nil
	}
	slices.Sort(names)
	shown := names
	if len(shown) > 10 {
		shown = append(slices.Clone(shown[:10]), fmt.Sprintf("and %d more", len(names)-10))
	}
	return fmt.Errorf("namespace %q (-n) does not exist in the cluster of context %q; its namespaces are: %s",
		opts.Namespace, cluster.Context, strings.Join(shown, ", "))
}

// restConfig builds the client configuration the kubeconfig loading rules
// (or the pod's service account) give.
func restConfig(opts Options) (*rest.Config, Cluster, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if opts.Kubeconfig != "" {
		rules.ExplicitPath = opts.Kubeconfig
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: opts.Context}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	cluster := Cluster{Context: opts.Context}
	raw, err := cc.RawConfig()
	if err != nil {
		return nil, cluster, fmt.Errorf("cannot read the kubeconfig: %w", err)
	}
	if cluster.Context == "" {
		cluster.Context = raw.CurrentContext
	}
	cfg, err := cc.ClientConfig()
	if err != nil {
		if clientcmd.IsEmptyConfig(err) {
			return nil, cluster, errors.New("no cluster to read: no kubeconfig was found ($KUBECONFIG, ~/.kube/config) and netreach is not running in a pod; " +
				"pass --kubeconfig, or -f for manifest files")
		}
		return nil, cluster, fmt.Errorf("cannot use the kubeconfig: %w", err)
	}
	if cluster.Context == "" {
		cluster.Context = "in-cluster"
	}
	cluster.Server = cfg.Host
	cfg = rest.CopyConfig(cfg)
	cfg.Timeout = opts.RequestTimeout
	// The API server's deprecation notices (v1 Endpoints) are not the user's
	// concern: netreach reads that kind only for older snapshots' sake.
	cfg.WarningHandler = rest.NoWarnings{}
	cfg.UserAgent = opts.UserAgent
	// The kinds are listed in parallel; client-go's default of 5 requests per
	// second would serialise them.
	cfg.QPS, cfg.Burst = 50, 100
	return cfg, cluster, nil
}

// listResult is what listing one kind gave.
type listResult struct {
	objs []*model.SavedObject
	err  error
}

// listAll lists one kind page by page, reducing each object as it arrives. A
// continue token that expired (410 Gone, on a slow read of a busy cluster)
// restarts the kind, at most three times.
func listAll(ctx context.Context, client dynamic.Interface, res Resource, opts Options, counted *atomic.Int64) listResult {
	var ri dynamic.ResourceInterface = client.Resource(res.GVR)
	if res.Namespaced && opts.Namespace != "" {
		ri = client.Resource(res.GVR).Namespace(opts.Namespace)
	}
	for attempt := 0; ; attempt++ {
		var out []*model.SavedObject
		cont := ""
		var err error
		for {
			list, lerr := ri.List(ctx, metav1.ListOptions{Limit: opts.PageSize, Continue: cont})
			if lerr != nil {
				err = lerr
				break
			}
			for i := range list.Items {
				if o, ok := model.StripMap(list.Items[i].Object, res.APIVersion(), res.Kind, ""); ok {
					out = append(out, o)
				}
			}
			counted.Add(int64(len(list.Items)))
			cont = list.GetContinue()
			if cont == "" {
				return listResult{objs: out}
			}
		}
		if apierrors.IsResourceExpired(err) && attempt < 3 {
			continue
		}
		return listResult{err: err}
	}
}

// listJSON writes the objects as one List, an item per line so that problems
// found by the loader point at a line.
func listJSON(objs []*model.SavedObject) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"apiVersion":"v1","kind":"List","items":[`)
	for i, o := range objs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
		data, err := json.Marshal(o.Object)
		if err != nil {
			return nil, fmt.Errorf("cannot encode %s %s/%s: %w", o.Kind, o.Namespace, o.Name, err)
		}
		b.Write(data)
	}
	b.WriteString("\n]}\n")
	return b.Bytes(), nil
}

// fileName is the name under which messages show the objects read.
func fileName(context string) string {
	r := strings.NewReplacer("/", "_", "\\", "_")
	return r.Replace(context) + ".json"
}

// startProgress shows a progress line on opts.Progress once reading has taken
// opts.ProgressDelay; the function it returns stops and erases it.
func startProgress(opts Options, cluster Cluster, counted *atomic.Int64, done *atomic.Int32) func() {
	if opts.Progress == nil {
		return func() {}
	}
	delay := opts.ProgressDelay
	if delay <= 0 {
		delay = time.Second
	}
	stop := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		timer := time.NewTimer(delay)
		defer timer.Stop()
		select {
		case <-stop:
			return
		case <-timer.C:
		}
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			fmt.Fprintf(opts.Progress, "\rnetreach: reading %s: %d objects, %d of %d kinds done\033[K",
				cluster.Context, counted.Load(), done.Load(), len(Resources))
			select {
			case <-stop:
				fmt.Fprint(opts.Progress, "\r\033[K")
				return
			case <-tick.C:
			}
		}
	}()
	return func() { close(stop); <-finished }
}
