# The character-level GRU language model of Sources/Sketch/Examples/CharLanguageModel in JAX + optax, for
# the side-by-side comparison in docs/library.md (same sizes, batches, clipping and Adam).
#   python char-lm-jax.py FILE [--steps N] [--hidden H]
import argparse, statistics, time
import jax, jax.numpy as jnp, numpy as np, optax

ap = argparse.ArgumentParser()
ap.add_argument("file"); ap.add_argument("--steps", type=int, default=300); ap.add_argument("--hidden", type=int, default=128)
args = ap.parse_args()
text = open(args.file, encoding="utf-8").read()
vocab = sorted(set(text)); index = {c: i for i, c in enumerate(vocab)}
ids = np.array([index[c] for c in text], np.int32)
V, H, T, B = len(vocab), args.hidden, 64, 16

keys = jax.random.split(jax.random.PRNGKey(1), 3)
glorot = jax.nn.initializers.glorot_uniform()
params = {"Wx": glorot(keys[0], (V, 3 * H)), "Wh": glorot(keys[1], (H, 3 * H)), "b": jnp.zeros(3 * H),
          "Wy": glorot(keys[2], (H, V)), "by": jnp.zeros(V)}

def gru(p, x, h):
    gx, gh = p["Wx"][x] + p["b"], h @ p["Wh"]
    z = jax.nn.sigmoid(gx[:, :H] + gh[:, :H])
    r = jax.nn.sigmoid(gx[:, H:2 * H] + gh[:, H:2 * H])
    return (1 - z) * jnp.tanh(gx[:, 2 * H:] + r * gh[:, 2 * H:]) + z * h

def loss_fn(p, chars):
    def step(h, xy):
        h = gru(p, xy[0], h)
        return h, optax.softmax_cross_entropy_with_integer_labels(h @ p["Wy"] + p["by"], xy[1])
    _, losses = jax.lax.scan(step, jnp.zeros((chars.shape[1], H)), (chars[:-1], chars[1:]))
    return losses.mean()

opt = optax.chain(optax.clip_by_global_norm(5.0), optax.adam(3e-3))
state = opt.init(params)

@jax.jit
def train(p, s, chars):
    value, g = jax.value_and_grad(loss_fn)(p, chars)
    updates, s = opt.update(g, s, p)
    return optax.apply_updates(p, updates), s, value

times = []
for step in range(1, args.steps + 1):
    o = np.array([((step * B + j) * 7919) % (len(ids) - T) for j in range(B)])
    batch = jnp.asarray(ids[o[None, :] + np.arange(T + 1)[:, None]])
    start = time.perf_counter()
    params, state, value = train(params, state, batch)
    value.block_until_ready()
    times.append(time.perf_counter() - start)
    if step == 1 or step % 50 == 0 or step == args.steps: print(f"step {step} loss {float(value)}")
print(f"median step {statistics.median(times)} s ({H} hidden, batch {B} x {T})")
