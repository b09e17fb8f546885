"""The fleets and workloads of `make bench-routing` (docs/benchmarks.md, "Scenarios")."""
from __future__ import annotations

import dataclasses

MODELS = ["llama3.2:3b", "qwen2.5:7b", "mistral:7b", "gemma2:9b", "phi3:mini", "llava:7b",
          "codellama:7b", "deepseek-r1:8b"]


@dataclasses.dataclass
class Instance:
    name: str
    models: list
    max_loaded: int = 1          # K: OLLAMA_MAX_LOADED_MODELS
    num_parallel: int = 1        # P: OLLAMA_NUM_PARALLEL
    load_s: float = 1.5
    s_per_token: float = 0.02
    prompt_eval_s: float = 0.05
    priority: int = 100


@dataclasses.dataclass
class Scenario:
    key: str
    title: str
    instances: list
    models: list                 # by popularity
    weights: list                # relative request share per model
    static_map: dict             # model -> instance name
    users: int = 6
    think_s: float = 1.0         # mean of an exponential think time
    tokens: tuple = (10, 50)     # tokens per answer, uniform
    burst: bool = False          # every user sends its first request at t=0
    events: list = dataclasses.field(default_factory=list)   # (fraction of the run, "kill"|"revive", instance)
    cold_na: str = ""            # why "fewer cold loads than the static map" does not apply, if it does not
    note: str = ""


def zipf(n: int, s: float = 1.0) -> list:
    return [1.0 / (i + 1) ** s for i in range(n)]


def two_each(names: list, n_models: int) -> list:
    """Model i on instances i and i+1 (mod n): every model on two instances."""
    out = [[] for _ in names]
    for i in range(n_models):
        out[i % len(names)].append(MODELS[i])
        out[(i + 1) % len(names)].append(MODELS[i])
    return out


def scenarios() -> dict:
    m4 = MODELS[:4]
    # (a): 3 instances, one model resident each, four models on two instances each.
    a_models = {"gpu-a": [m4[0], m4[2], m4[3]], "gpu-b": [m4[0], m4[1]], "gpu-c": [m4[1], m4[2], m4[3]]}
    a_inst = [Instance(n, ms) for n, ms in a_models.items()]
    a_map = {m4[0]: "gpu-a", m4[1]: "gpu-b", m4[2]: "gpu-c", m4[3]: "gpu-c"}
    hot = MODELS[:3]
    d_names = ["gpu-a", "gpu-b", "gpu-c"]
    d_models = two_each(d_names, 8)
    out = [
        Scenario("a", "3 instances x 1 resident model, 4 models (Zipf) on 2 instances each, 6 users",
                 a_inst, m4, zipf(4), a_map,
                 note="the issue's fleet: K=1, P=1, load 1.5 s"),
        Scenario("b", "one hot model every user wants at once (85 %, two others 7.5 % each), 3 instances, "
                 "K=1, P=1, 8 users starting together",
                 [Instance(n, hot) for n in ("gpu-a", "gpu-b", "gpu-c")],
                 hot, [0.85, 0.075, 0.075], {hot[0]: "gpu-a", hot[1]: "gpu-b", hot[2]: "gpu-c"},
                 users=8, think_s=0.5, burst=True,
                 note="the static map sends the hot model to gpu-a only",
                 cold_na="the static map pins every model to one instance (K=1 each), so it never reloads"),
        Scenario("c", "a fast instance (priority 100) and a slow fallback (priority 10), K=2, 3 users",
                 [Instance("fast", MODELS[:2], max_loaded=2, load_s=1.0, s_per_token=0.015, priority=100),
                  Instance("slow", MODELS[:2], max_loaded=2, load_s=4.0, s_per_token=0.06,
                           prompt_eval_s=0.2, priority=10)],
                 MODELS[:2], [0.7, 0.3], {MODELS[0]: "fast", MODELS[1]: "slow"},
                 users=3, think_s=1.5,
                 cold_na="the static map pins each model to its own instance (K=2), so it never reloads",
                 note="slow = 4 s loads, 4x slower tokens; the static map gives each model its own box"),
        Scenario("d", "3 instances x 2 resident models, 8 models (Zipf) on 2 instances each, 8 users",
                 [Instance(n, ms, max_loaded=2) for n, ms in zip(d_names, d_models)],
                 MODELS[:8], zipf(8), {MODELS[i]: d_names[i % 3] for i in range(8)}, users=8),
        Scenario("e", "fleet (a); gpu-b dies at 30 % of the run and comes back (empty) at 60 %",
                 a_inst, m4, zipf(4), a_map,
                 events=[(0.3, "kill", "gpu-b"), (0.6, "revive", "gpu-b")],
                 note="streams in flight on gpu-b when it dies are cut: no proxy can resume them"),
    ]
    return {s.key: s for s in out}
