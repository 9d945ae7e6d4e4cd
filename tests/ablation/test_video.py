"""The frame-folder clip reader on synthetic clips (PNG and .npy frames)."""

import matplotlib.image as mpimg
import numpy as np
import pytest
import torch

from tensorcnn.training.video import ClipLoader, VideoClips, clip_indices, read_frame


def _write_video(folder, n_frames, height, width, kind, value_of):
    folder.mkdir(parents=True)
    for i in range(n_frames):
        frame = np.full((height, width, 3), value_of(i), dtype=np.uint8)
        if kind == "png":
            mpimg.imsave(folder / f"image_{i + 1:05d}.png", frame)
        else:
            np.save(folder / f"image_{i + 1:05d}.npy", frame)


@pytest.fixture
def root(tmp_path):
    # Frame i of every video has the grey level 10 i: a clip's frame order is readable.
    _write_video(tmp_path / "Archery" / "v_Archery_g01_c01", 20, 24, 32, "png",
                 lambda i: 10 * i)
    _write_video(tmp_path / "Bowling" / "v_Bowling_g01_c01", 5, 30, 20, "npy",
                 lambda i: 10 * i)
    return tmp_path


def test_clip_indices_loop_short_videos():
    assert clip_indices(5, 8, 0) == [0, 1, 2, 3, 4, 0, 1, 2]
    assert clip_indices(20, 4, 10) == [10, 11, 12, 13]


def test_test_clips_are_centred_looped_and_resized(root):
    clips = VideoClips(root, clip_length=16, size=16, train=False)
    assert clips.classes == ["Archery", "Bowling"] and len(clips) == 2
    clip, label = clips.clip(0)
    assert clip.shape == (3, 16, 16, 16) and label == 0 and clip.dtype == torch.float32
    levels = (clip[0, :, 8, 8] * 255).round().tolist()
    assert levels == [10.0 * i for i in range(2, 18)]  # centred start (20 - 16) // 2 = 2
    clip, label = clips.clip(1)
    assert label == 1
    assert (clip[1, :, 0, 0] * 255).round().tolist() == [10.0 * (i % 5) for i in range(16)]


def test_train_clips_are_seeded(root):
    clips = VideoClips(root, clip_length=4, size=8, train=True)
    a, _ = clips.clip(0, torch.Generator().manual_seed(3))
    b, _ = clips.clip(0, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    first = (a[0, :, 0, 0] * 255).round()
    assert torch.equal(first - first[0], torch.tensor([0.0, 10.0, 20.0, 30.0]))


def test_loader_batches_and_split_file(root, tmp_path):
    split = tmp_path / "trainlist01.txt"
    split.write_text("Archery/v_Archery_g01_c01.avi 1\n")
    clips = VideoClips(root, clip_length=16, size=112, split_file=split)
    assert len(clips) == 1
    loader = ClipLoader(VideoClips(root, clip_length=16, size=112), batch_size=2, seed=0)
    (x, y), = list(loader)
    assert x.shape == (2, 3, 16, 112, 112) and sorted(y.tolist()) == [0, 1]


def test_missing_videos_and_bad_frames(tmp_path):
    with pytest.raises(FileNotFoundError, match="root/<class>/<video>"):
        VideoClips(tmp_path)
    np.save(tmp_path / "bad.npy", np.zeros((4, 4, 5)))
    with pytest.raises(ValueError, match="frame must be"):
        read_frame(tmp_path / "bad.npy")
