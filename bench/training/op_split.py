"""Where a training step's CPU time goes, by op: the samples of `perf record -g` of bench/training (DOTNET_PerfMapEnabled=1,
`perf script -F tid,time,ip,sym`), each given to the first op below that any frame of its stack matches, from the end of
the first step's AdamW update on (the warm-up step and the model's loading left out). The products' samples on the pool's
worker (whose stacks do not name the op) go by their kernel: the transposed-A tile and its packing to dW, the in-place
tile to y and dx as on the calling thread, the row packing to dx and dW as on the calling thread.
Usage: python3 bench/training/op_split.py perf.txt [cpu_s_per_step] [--leaves "op,op"]  (see README.md)"""
import sys, re, collections
RULES = [  # (category, regex): the first rule any frame of the stack matches wins
 ('clip+AdamW', r'AdamW::|GradientClipping::'),
 ('zero grads', r'ZeroGradients'),
 ('attention fwd', r'Attention::DenseRange|Kernels\.Attention::Forward'),
 ('attention bwd', r'Attention\+<>c__DisplayClass\d+_0::<Backward>|Kernels\.Attention::Backward|<RecordAttention>'),
 ('linear db', r'Ops::AddRowSums'),
 ('linear bwd', r'<RecordLinear>'),
 ('linear y', r'Ops::MultiplyValues|Ops::Multiply\(|Ops::Linear\('),
 ('GELU bwd', r'GeluBackward|<RecordActivation>'),
 ('GELU fwd', r'Activations::Gelu|Ops::Activation\('),
 ('LN+residual+dropout bwd', r'RecordAddDropoutLayerNorm|ResidualAndDropoutGrad|LayerNorm::Backward|LayerNorm\+<>c__DisplayClass\d+_0::<Backward>'),
 ('LN+dropout+add fwd', r'AddDropoutForward|LayerNorm::Forward|Ops::AddDropoutLayerNorm'),
 ('embeddings', r'Ops::Embeddings|Kernels\.Embedding::|Embeddings>'),
 ('pooling', r'Pooling'),
 ('loss', r'MultipleNegativesRankingLoss::|CosineMath::'),
 ('gemm (worker)', r'ManagedGemm\+<>c::<Run>|GemmDriver::|MicroKernels::'),
 ('dropout other', r'Dropout::'),
 ('tape other', r'Tape::|Ops::'),
]
comp = [(c, re.compile(r)) for c, r in RULES]
samples = []
cur = None; stack = []
def flush():
    if cur is None: return
    t, tid = cur
    cat = None
    for c, rx in comp:
        if any(rx.search(s) for s in stack): cat = c; break
    leaf = stack[0] if stack else ''
    # what no rule names: mostly the runtime's spin-wait (libcoreclr, no symbols) of a thread waiting at a region's join
    if cat is None: cat = 'spin-wait, runtime, other'
    samples.append((t, tid, cat, leaf))
for line in open(sys.argv[1], errors='replace'):
    m = re.match(r'^\s*(\d+)\s+([\d.]+):', line)
    if m:
        flush(); cur = (float(m.group(2)), int(m.group(1))); stack = []; continue
    s = line.strip()
    if s: stack.append(s.split(' ', 1)[1] if ' ' in s else s)
flush()
adam = [t for t, _, c, _ in samples if c == 'clip+AdamW']
t0 = adam[0]
for t in adam:  # steady state: after the first step's update
    if t - t0 > 2.0: break
    t0 = t
ss = [s for s in samples if s[0] > t0]
def gemmkind(leaf):
    if 'V512Direct' in leaf or 'PackB(' in leaf: return 'direct'
    if 'Kernel12x32V512(' in leaf or 'PackATransRows' in leaf or 'PackA(' in leaf: return 'trans'
    if 'PackBRows' in leaf: return 'rows'
    return 'x'
cnt = collections.Counter()
bwd = collections.Counter(); worker = collections.Counter()
for t, tid, c, leaf in ss:
    if c == 'linear bwd': bwd[gemmkind(leaf)] += 1
    elif c == 'gemm (worker)': worker[gemmkind(leaf)] += 1
    else: cnt[c] += 1
# backward on the calling thread: Direct kernel -> dx, transposed A -> dW, PackBRows/other split by those
d, w = bwd['direct'], bwd['trans']
f = d / (d + w) if d + w else 0.5
cnt['linear dx'] += d + f * (bwd['rows'] + bwd['x']); cnt['linear dW'] += w + (1 - f) * (bwd['rows'] + bwd['x'])
# the worker's product samples: transposed A -> dW; direct -> y and dx as on the caller; rows -> dx, dW as on the caller
y = cnt['linear y']; dxc = d
fy = y / (y + dxc) if y + dxc else 0.5
cnt['linear y'] += fy * worker['direct']; cnt['linear dx'] += (1 - fy) * worker['direct']
cnt['linear dW'] += worker['trans']
cnt['linear dx'] += f * (worker['rows'] + worker['x']); cnt['linear dW'] += (1 - f) * (worker['rows'] + worker['x'])
total = len(ss)
cpu = float(sys.argv[2]) if len(sys.argv) > 2 and not sys.argv[2].startswith('--') else None
print(f'steady-state samples {total}, threads {collections.Counter(s[1] for s in ss).most_common(2)}')
for c, n in sorted(cnt.items(), key=lambda x: -x[1]):
    print(f'{c:28s} {100*n/total:6.2f}%' + (f'  {cpu * n / total:6.2f} CPU s' if cpu else ''))
if '--leaves' in sys.argv:  # the leaf functions of the ops named
    for want in sys.argv[sys.argv.index('--leaves') + 1].split(','):
        lc = collections.Counter(re.sub(r'\(.*', '', leaf)[-80:] for t, tid, c, leaf in ss if c == want)
        n = sum(lc.values())
        print(f'\n{want}: {n}')
        for k, v in lc.most_common(12): print(f'  {100*v/total:5.2f}%  {k}')
