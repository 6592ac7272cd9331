"""``accelsim train`` from the command line: a short run writes its files; bad input is one line, exit 2."""
import pytest

from conftest import run_cli


def test_train_writes_run_and_refuses_to_overwrite(capsys, tmp_path):
    args = ("train", "--task", "digits", "--hidden", "32", "--sparsity", "0.5", "--epochs", "4",
            "--out", tmp_path)
    status, out, err = run_cli(capsys, *args)
    assert status == 0, err
    assert "test accuracy" in out
    assert {p.name for p in tmp_path.iterdir()} >= {"masks.npz", "weights.npz", "log.csv", "figures"}
    status, _, err = run_cli(capsys, *args)
    assert status == 2 and len(err.strip().splitlines()) == 1 and "force" in err


@pytest.mark.parametrize("argv,names", [
    (["train", "--task", "imagenet", "--sparsity", "0.5", "--out", "x"], "task"),
    (["train", "--sparsity", "1.5", "--out", "x"], "sparsity"),
    (["train", "--hidden", "0", "--sparsity", "0.5", "--out", "x"], "hidden"),
])
def test_train_bad_input(capsys, tmp_path, monkeypatch, argv, names):
    monkeypatch.chdir(tmp_path)
    status, _, err = run_cli(capsys, *argv)
    assert status == 2 and len(err.strip().splitlines()) == 1 and names in err, err
    assert list(tmp_path.iterdir()) == []


def test_train_compare_prints_a_readable_table_and_the_full_one_as_csv(capsys, tmp_path):
    """The default table fits a 120-column terminal without wrapping; --csv prints every column of
    summary.csv."""
    args = ("train-compare", "--task", "digits", "--hidden", "32", "--sparsity", "0.5", "--seeds", "0,1",
            "--epochs", "2", "--jobs", "1")
    status, out, err = run_cli(capsys, *args, "--out", tmp_path / "a")
    assert status == 0, err
    lines = out.splitlines()
    assert len(lines) == 1 + 2 * 2 and max(map(len, lines)) <= 120, out
    assert lines[0].split() == ["budget", "kind", "model", "hardware", "nnz", "model_mb", "test_accuracy",
                                "latency_us_mean", "energy_uj_mean"]
    status, out, err = run_cli(capsys, *args, "--csv", "--out", tmp_path / "b")
    assert status == 0, err
    assert out.splitlines()[0] == (tmp_path / "b" / "summary.csv").read_text().splitlines()[0]
