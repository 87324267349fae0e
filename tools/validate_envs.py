#!/usr/bin/env python3
"""Compare FIXAR's environments with Gymnasium's (a developer tool, not the product).

Usage (from the repository root, after building target env_probe):
    python3 tools/validate_envs.py [--probe build/envs/tools/env_probe] [--episodes 20]

Creates <repo>/.venv-validate (git-ignored, tools/pyvenv.py) on first use, installs gymnasium[mujoco]
from PyPI into it and re-runs itself there. For each task it compares:
  * layout: observation size, action bounds, dt, episode limit;
  * matched states: Gymnasium's state (MuJoCo qpos/qvel, or the classic-control state)
    is copied into ours, the observation of that state is compared, then both step the
    same random action and the reward terms, reward, next observation and termination
    flag are compared (our MJCF models are our own and we run MuJoCo 2.2.2, so body
    dynamics may differ; Pendulum/CartPole should agree to rounding);
  * episodes under uniform random actions: lengths, termination rate, return.
Prints a Markdown report (the tables in docs/envs.md).
"""
import argparse
import json
import os
import subprocess
import sys

from pyvenv import ensure_venv

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# ours -> (Gymnasium id, kind)
TASKS = {
    "Pendulum": ("Pendulum-v1", "classic"),
    "CartPole": ("CartPole-v1", "classic"),
    "HalfCheetah": ("HalfCheetah-v5", "mujoco"),
    "Hopper": ("Hopper-v5", "mujoco"),
    "Swimmer": ("Swimmer-v5", "mujoco"),
    "Walker2d": ("Walker2d-v5", "mujoco"),
    "InvertedPendulum": ("InvertedPendulum-v5", "mujoco"),
}


class Probe:
    """One env_probe process speaking JSON lines."""

    def __init__(self, path):
        self.proc = subprocess.Popen([path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def call(self, **request):
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        reply = json.loads(self.proc.stdout.readline())
        if "error" in reply:
            raise RuntimeError(f"env_probe: {reply['error']} (request {request})")
        return reply

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def gym_state(env, kind):
    u = env.unwrapped
    if kind == "mujoco":
        import numpy as np
        return np.concatenate([u.data.qpos, u.data.qvel]).tolist()
    return [float(v) for v in u.state]


def gym_obs_of_state(env, kind):
    u = env.unwrapped
    if kind == "mujoco":
        return u._get_obs().tolist()
    if u.spec.id.startswith("Pendulum"):
        return u._get_obs().tolist()
    return [float(v) for v in u.state]


def ours_action(task, action):
    return [float(action)] if task == "CartPole" else [float(v) for v in action]


def gym_reward_terms(task, info, reward, action):
    """Gymnasium's reward terms under our names."""
    import numpy as np
    if task == "Pendulum":
        return {}
    if task == "CartPole":
        return {"reward_survive": reward}
    return {k: float(v) for k, v in info.items() if k.startswith("reward_")}


def compare_matched(task, gym_id, kind, probe, n, rng):
    import gymnasium as gym
    import numpy as np
    env = gym.make(gym_id)
    probe.call(cmd="make", task=task)
    obs_err, next_obs_err, reward_err, term_agree = [], [], [], 0
    term_errs = {}
    for i in range(n):
        env.reset(seed=1000 + i)
        # Walk a few random steps so that the matched state is not just a reset state.
        for _ in range(int(rng.integers(0, 15))):
            _, _, term, trunc, _ = env.step(env.action_space.sample())
            if term or trunc:
                env.reset(seed=2000 + i)
                break
        state = gym_state(env, kind)
        probe.call(cmd="reset", seed=i)
        ours_obs = probe.call(cmd="set_state", state=state)["obs"]
        obs_err.append(float(np.max(np.abs(np.array(ours_obs) - np.array(gym_obs_of_state(env, kind))))))
        action = env.action_space.sample()
        g_obs, g_rew, g_term, _, g_info = env.step(action)
        o = probe.call(cmd="step", action=ours_action(task, action))
        next_obs_err.append(float(np.max(np.abs(np.array(o["obs"]) - np.asarray(g_obs, dtype=float)))))
        reward_err.append(abs(o["reward"] - float(g_rew)))
        term_agree += int(o["terminated"] == bool(g_term))
        for name, value in gym_reward_terms(task, g_info, float(g_rew), action).items():
            if name in o["info"]:
                term_errs.setdefault(name, []).append(abs(o["info"][name] - value))
            else:
                term_errs.setdefault(name + " (missing in ours)", []).append(float("nan"))
    env.close()
    return {
        "obs_of_state": max(obs_err),
        "next_obs": float(np.median(next_obs_err)),
        "reward": float(np.median(reward_err)),
        "terms": {k: max(v) for k, v in term_errs.items()},
        "terminated_agree": f"{term_agree}/{n}",
    }


def episodes(task, gym_id, probe, n, rng):
    import gymnasium as gym
    import numpy as np
    env = gym.make(gym_id)
    probe.call(cmd="make", task=task)
    ours, theirs = [], []
    for i in range(n):
        for side in ("ours", "gym"):
            if side == "gym":
                env.reset(seed=i)
                env.action_space.seed(i)
            else:
                probe.call(cmd="reset", seed=i)
                env.action_space.seed(i)
            length, ret, terminated = 0, 0.0, False
            while True:
                action = env.action_space.sample()
                if side == "gym":
                    _, r, term, trunc, _ = env.step(action)
                else:
                    o = probe.call(cmd="step", action=ours_action(task, action))
                    r, term, trunc = o["reward"], o["terminated"], o["truncated"]
                length += 1
                ret += float(r)
                if term or trunc:
                    terminated = bool(term)
                    break
            (ours if side == "ours" else theirs).append((length, terminated, ret))
    env.close()

    def summary(runs):
        lengths = np.array([r[0] for r in runs])
        return {
            "len_mean": float(lengths.mean()), "len_min": int(lengths.min()), "len_max": int(lengths.max()),
            "term_rate": float(np.mean([r[1] for r in runs])),
            "return_mean": float(np.mean([r[2] for r in runs])), "return_std": float(np.std([r[2] for r in runs])),
        }
    return summary(ours), summary(theirs)


def main():
    ensure_venv("validate", ["gymnasium[mujoco]"])
    import gymnasium as gym
    import mujoco
    import numpy as np

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--probe", default=os.path.join(REPO, "build", "envs", "tools", "env_probe"))
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--matched", type=int, default=50, help="matched-state comparisons per task")
    parser.add_argument("--tasks", default=",".join(TASKS))
    args = parser.parse_args()
    if not os.path.exists(os.path.abspath(args.probe)):
        sys.exit(f"env_probe not found at {args.probe}; build target env_probe first")

    # MuJoCo (Python) writes MUJOCO_LOG.TXT into the working directory on warnings (e.g.
    # the deprecated settotalmass in Gymnasium's half_cheetah.xml): keep it out of the repo.
    probe_path = os.path.abspath(args.probe)
    import tempfile
    os.chdir(tempfile.mkdtemp(prefix="fixar-validate-"))
    rng = np.random.default_rng(0)
    probe = Probe(probe_path)
    print(f"Gymnasium {gym.__version__}, MuJoCo (Python) {mujoco.__version__}; "
          f"ours: MuJoCo 2.2.2 (Debian); {args.episodes} episodes, {args.matched} matched states per task.\n")

    print("### Layout\n")
    print("| task | obs size ours / gym | action bounds ours / gym | dt ours / gym (s) | limit ours / gym |")
    print("|---|---|---|---|---|")
    for task in args.tasks.split(","):
        gym_id, kind = TASKS[task]
        env = gym.make(gym_id)
        info = probe.call(cmd="make", task=task)
        space = env.action_space
        if hasattr(space, "n"):
            gym_bounds = f"Discrete({space.n})"
        else:
            gym_bounds = f"[{float(space.low.min()):g}, {float(space.high.max()):g}]^{space.shape[0]}"
        ours_bounds = f"[{min(info['action_low']):g}, {max(info['action_high']):g}]^{len(info['action_low'])}"
        if info["discrete_actions"]:
            ours_bounds += f" (discrete {info['discrete_actions']})"
        gym_dt = env.unwrapped.dt if kind == "mujoco" else (0.05 if task == "Pendulum" else env.unwrapped.tau)
        print(f"| {task} | {info['observation_size']} / {env.observation_space.shape[0]} | {ours_bounds} / {gym_bounds} "
              f"| {info['dt']:g} / {gym_dt:g} | {info['max_episode_steps']} / {env.spec.max_episode_steps} |")
        env.close()

    print("\n### Matched states (Gymnasium's state copied into ours, same action, one step)\n")
    print("| task | max abs obs diff of the copied state | median abs next-obs diff | median abs reward diff "
          "| max abs diff per reward term | terminated agrees |")
    print("|---|---|---|---|---|---|")
    for task in args.tasks.split(","):
        gym_id, kind = TASKS[task]
        m = compare_matched(task, gym_id, kind, probe, args.matched, rng)
        terms = ", ".join(f"{k} {v:.2g}" for k, v in m["terms"].items()) or "(no terms in Gymnasium)"
        print(f"| {task} | {m['obs_of_state']:.2g} | {m['next_obs']:.3g} | {m['reward']:.3g} | {terms} "
              f"| {m['terminated_agree']} |")

    print(f"\n### Episodes under uniform random actions ({args.episodes} per side, seeds 0..{args.episodes - 1})\n")
    print("| task | length mean [min, max] ours | gym | terminated ours | gym | return mean ± sd ours | gym |")
    print("|---|---|---|---|---|---|---|")
    for task in args.tasks.split(","):
        gym_id, _ = TASKS[task]
        o, g = episodes(task, gym_id, probe, args.episodes, rng)
        print(f"| {task} | {o['len_mean']:.1f} [{o['len_min']}, {o['len_max']}] | {g['len_mean']:.1f} "
              f"[{g['len_min']}, {g['len_max']}] | {o['term_rate']:.0%} | {g['term_rate']:.0%} "
              f"| {o['return_mean']:.1f} ± {o['return_std']:.1f} | {g['return_mean']:.1f} ± {g['return_std']:.1f} |")
    probe.close()


if __name__ == "__main__":
    main()
