"""``tensorcnn audit`` and ``tensorcnn count`` end to end."""

import json

import pytest

from tensorcnn.blocks import Bottleneck
from tensorcnn.cli import main
from tensorcnn.nets.families import family_n_params


def test_audit_command_prints_a_table_and_writes_json(tmp_path, capsys):
    path = tmp_path / "shufflenet.json"
    assert main(["audit", "shufflenet_v2", "--input-shape", "3", "32", "32",
                 "--json", str(path)]) == 0
    out = capsys.readouterr().out
    assert "stage4.3" in out and "depthwise-bottleneck" in out
    data = json.loads(path.read_text())
    assert data["model"] == "shufflenet_v2" and len(data["blocks"]) == 19
    assert data["total_params"] == 2_278_604
    assert {b["t"] for b in data["blocks"] if not b["name"].endswith("branch1")} == {1.0}


def test_audit_command_takes_module_callable(capsys):
    target = "tensorcnn.counting.reference_models:mobilenet_v2"
    assert main(["audit", target, "--input-shape", "3", "32", "32"]) == 0
    assert "inverted-residual" in capsys.readouterr().out


def test_audit_command_rejects_unknown_models():
    with pytest.raises(SystemExit, match="unknown model"):
        main(["audit", "vgg1000"])
    with pytest.raises(SystemExit, match="cannot load"):
        main(["audit", "tensorcnn:no_such_thing"])


def test_count_command(capsys):
    assert main(["count", "bottleneck", "--in-channels", "256", "--rank", "64",
                 "--out-channels", "256", "--input-size", "14", "--json", "-"]) == 0
    result = json.loads(capsys.readouterr().out)
    block = Bottleneck(256, 64, 256)
    assert result["params"] == block.n_params() and result["macs"] == block.macs(14)
    assert result["t"] == 4.0
    assert main(["count", "d-local", "--alpha", "2", "--image-size", "16", "--json", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["params"] == family_n_params("d-local", 2, 16,
                                                                             3, 10)
    with pytest.raises(SystemExit, match="count failed"):
        main(["count", "bottleneck", "--rank", "0"])
