"""A PyTorch MLP on scikit-learn's bundled digits: the default sweep's objective.

The data ship inside scikit-learn (no download). The objective uses a GPU well when it has one:
the data are moved to the device once and batches are drawn there, matmuls run under bf16
autocast where the device supports it, the loop does no host synchronisation between epochs
(one ``.item()`` per epoch, for the report), the optimiser is fused on GPUs, and
``compile=True`` runs the model through ``torch.compile``. It checkpoints each epoch (model,
optimiser and batch-order generator) and a requeued or retried trial resumes after the last
saved epoch. ``efficient=False`` gives the naive loop (data on the host, a batch copied and a
loss synchronised each step, fp32): the baseline of ``benchmarks/gpu_throughput.py``.
"""

from __future__ import annotations

from typing import Any

from sweeps.job.handle import TrialHandle, TrialPruned


def train_mlp(
    params: dict[str, Any],
    trial: TrialHandle,
    epochs: int = 20,
    batch_size: int = 64,
    compile: bool = False,
    bf16: bool | None = None,
    checkpoint_every: int = 1,
    report_every: int = 1,
    efficient: bool = True,
    backend: str | None = None,
) -> float:
    """Train an MLP; report validation accuracy each ``report_every`` epochs; return it.

    ``bf16=None`` enables bf16 autocast on GPUs that support it (never on the CPU).
    ``checkpoint_every=0`` never checkpoints. In a multi-rank trial the model is wrapped in
    ``DistributedDataParallel`` (process group ``backend``: the handle's default, or ``gloo``
    for ranks sharing one GPU) and each rank trains on its part of every batch.
    """
    import torch

    device = torch.device(trial.device)  # seeds torch; deterministic in reproducible mode
    data = _digits(device if efficient else torch.device("cpu"))
    xt, yt, xv, yv = data
    model = _mlp(xt.shape[1], params, activation=params.get("activation", "relu")).to(device)
    ranks = trial.world_size
    if ranks > 1:
        trial.init_distributed(backend)
        ids = [device.index] if device.type == "cuda" else None
        model = torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)
    optimizer = torch.optim.AdamW(
        model.parameters(),
        lr=params["lr"],
        weight_decay=params.get("weight_decay", 0.0),
        fused=device.type == "cuda" and efficient,
    )
    generator = torch.Generator(device=xt.device).manual_seed(trial.seed)
    start = _resume(trial, model, optimizer, generator) if checkpoint_every else 0
    step = torch.compile(model) if compile and efficient else model
    amp = _use_bf16(device, bf16) and efficient
    loss_fn = torch.nn.CrossEntropyLoss()
    accuracy = 0.0
    for epoch in range(start, epochs):
        model.train()
        order = torch.randperm(len(xt), device=xt.device, generator=generator)
        for first in range(0, len(xt), batch_size):
            idx = order[first : first + batch_size][trial.rank :: ranks]
            xb, yb = xt[idx].to(device), yt[idx].to(device)
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                loss = loss_fn(step(xb), yb)
            loss.backward()
            optimizer.step()
            if not efficient:
                loss.item()  # the naive loop's per-step host sync (logging a loss)
        last = epoch == epochs - 1
        save = bool(checkpoint_every) and (last or (epoch + 1) % checkpoint_every == 0)
        if not (save or last or (epoch + 1) % report_every == 0):
            continue
        model.eval()
        with torch.no_grad(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            predicted = step(xv.to(device)).argmax(dim=1)
        accuracy = (predicted == yv.to(device)).float().mean().item()
        trial.report(accuracy, epoch)
        if save:
            state = {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "generator": generator.get_state(),
                "rng": _rng_state(),
            }
            trial.save_checkpoint(state, epoch)
        if trial.should_prune():
            raise TrialPruned(f"pruned after epoch {epoch} at accuracy {accuracy:.4f}")
    return accuracy


def _digits(device: Any) -> tuple[Any, Any, Any, Any]:
    """Train/validation tensors on ``device`` (a fixed stratified split)."""
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(
        x / 16.0, y, test_size=0.25, random_state=0, stratify=y
    )
    return (
        torch.as_tensor(x_train, dtype=torch.float32, device=device),
        torch.as_tensor(y_train, dtype=torch.long, device=device),
        torch.as_tensor(x_val, dtype=torch.float32, device=device),
        torch.as_tensor(y_val, dtype=torch.long, device=device),
    )


def _resume(trial: TrialHandle, model: Any, optimizer: Any, generator: Any) -> int:
    """Restore the slot's last checkpoint, if any; return the first epoch still to run."""
    saved = trial.load_checkpoint()
    if saved is None:
        return 0
    model.load_state_dict(saved.state["model"])
    optimizer.load_state_dict(saved.state["optimizer"])
    generator.set_state(saved.state["generator"])
    _set_rng_state(saved.state["rng"])
    return saved.step + 1


def _rng_state() -> dict[str, Any]:
    """torch's global generators (dropout draws from them)."""
    import torch

    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []
    return {"cpu": torch.get_rng_state(), "cuda": cuda}


def _set_rng_state(state: dict[str, Any]) -> None:
    import torch

    torch.set_rng_state(state["cpu"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _use_bf16(device: Any, wanted: bool | None) -> bool:
    import torch

    if device.type != "cuda":
        return wanted is True
    supported = torch.cuda.is_bf16_supported()
    return supported if wanted is None else wanted and supported


def _mlp(n_in: int, params: dict[str, Any], activation: str) -> Any:
    import torch

    act = {"relu": torch.nn.ReLU, "gelu": torch.nn.GELU, "tanh": torch.nn.Tanh}[activation]
    layers: list[torch.nn.Module] = []
    width = n_in
    for _ in range(int(params.get("layers", 1))):
        layers += [
            torch.nn.Linear(width, int(params["hidden"])),
            act(),
            torch.nn.Dropout(float(params.get("dropout", 0.0))),
        ]
        width = int(params["hidden"])
    layers.append(torch.nn.Linear(width, 10))
    return torch.nn.Sequential(*layers)
