"""BM25 in numpy: the scores of bm25s's default variant, built one document at a time."""
import numpy as np
import pytest

from assistant.corpus import load_act
from assistant.lexical import LexicalBuilder, LexicalIndex
from assistant.normalization import tokenize
from assistant.stemming import Analyzer

bm25s = pytest.importorskip("bm25s")  # the reference implementation (test extra)


def act_documents(lang: str) -> tuple[list[list[str]], Analyzer]:
    analyzer = Analyzer()
    return [analyzer(c.text, lang) for c in load_act().clauses(lang)], analyzer


@pytest.mark.parametrize("lang", ["ru", "kk"])
@pytest.mark.parametrize(("k1", "b"), [(1.2, 0.75), (1.5, 0.3)])
def test_scores_are_those_of_bm25s_on_the_act(lang, k1, b):
    documents, analyzer = act_documents(lang)
    ours = LexicalIndex.of(documents, k1=k1, b=b)
    reference = bm25s.BM25(k1=k1, b=b)
    reference.index(documents, show_progress=False)
    queries = [d[:3] for d in documents[::7]] + [["прокурор", "прокурор"], analyzer("права и обязанности прокуратуры", lang)]
    for query in queries:
        known = [t for t in query if t in reference.vocab_dict]
        if not known:
            continue
        expected = reference.get_scores(known)
        np.testing.assert_allclose(ours.scores(query), expected, rtol=1e-5, atol=1e-6)
    columns = np.diff(reference.scores["indptr"])
    # bm25s adds an empty token to its vocabulary, with no column
    assert ours.document_frequency() == {token: int(columns[i]) for token, i in reference.vocab_dict.items() if token}


def test_a_repeated_query_token_counts_twice_and_unknown_tokens_add_nothing():
    index = LexicalIndex.of([["a", "b"], ["b", "c", "c"], ["d"]])
    once, twice = index.scores(["c"]), index.scores(["c", "c"])
    assert once[1] > 0 and once[0] == once[2] == 0
    np.testing.assert_allclose(twice, 2 * once)
    assert not index.scores(["zzz"]).any() and index.scores([]).shape == (3,)


def test_builders_fed_in_one_pass_equal_indexes_built_apart():
    texts = [c.text for c in load_act().clauses("ru")][:30]
    analyzer = Analyzer()
    stems, grams = LexicalBuilder(), LexicalBuilder()
    for text in texts:
        words = tokenize(text)
        stems.add(analyzer.terms(words, "ru"))
        grams.add(analyzer.grams(words, "ru"))
    apart = LexicalIndex.of(analyzer.grams(tokenize(t), "ru") for t in texts)
    together = grams.build()
    query = list(analyzer.grams(tokenize("функции прокуратуры"), "ru"))
    np.testing.assert_array_equal(together.scores(query), apart.scores(query))
    assert stems.build().size == len(texts) == together.size


def test_an_empty_document_scores_zero_and_keeps_its_row():
    index = LexicalIndex.of([["a"], [], ["a", "b"]])
    scores = index.scores(["a", "b"])
    assert scores.shape == (3,) and scores[1] == 0 and scores[0] > 0 and scores[2] > 0
    assert index.document_frequency() == {"a": 2, "b": 1}
