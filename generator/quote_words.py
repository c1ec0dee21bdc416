"""Word lists for quote attribution: speech verbs, titles, and words that are not names.

English news usage; extend freely (tests in tests/test_quotes.py show what each is for).
"""

from __future__ import annotations


def words(text: str) -> frozenset[str]:
    """A word list written as one string."""
    return frozenset(text.split())


_FORMS = {
    "say": "say says said saying",
    "tell": "tell tells told telling",
    "add": "add adds added adding",
    "write": "write writes wrote writing",
    "sign": "signs signed signing",
    "warn": "warn warns warned warning",
    "predict": "predict predicts predicted predicting",
    "ask": "ask asks asked",
    "reply": "reply replies replied replying",
    "other": (
        "state states stated declare declares declared declaring announce announces "
        "announced announcing insist insists insisted insisting note notes noted noting "
        "argue argues argued arguing claim claims claimed claiming explain explains "
        "explained explaining recall recalls recalled recalling acknowledge acknowledged "
        "admit admits admitted admitting boast boasted complain complained complaining "
        "concede conceded confirm confirms confirmed confirming deny denies denied "
        "describe describes described describing emphasise emphasised emphasize "
        "emphasized exclaimed joked observe observed promise promised promising remark "
        "remarked repeat repeated reiterate reiterated reiterating shout shouted stress "
        "stresses stressed stressing suggest suggested tweet tweeted tweeting post posted "
        "urge urges urged urging vow vows vowed vowing whispered call calls called calling "
        "toasted pledge pledged threaten threatened accuse accused accusing "
        "caution cautioned conclude concluded demand demanded respond responded answered "
        "continued told reported reports signalled signaled"
    ),
}
SPEECH_VERBS = frozenset(w for forms in _FORMS.values() for w in forms.split())
PARTICIPLES = frozenset(w for w in SPEECH_VERBS if w.endswith("ing"))

TITLES = words(
    """president vice-president leader spokesman spokeswoman spokesperson secretary-general
    secretary minister director chairman chairwoman chair chief head envoy ambassador
    general gen colonel col lieutenant lt major maj captain capt commander senator sen
    governor gov mayor king queen prince princess pope chancellor premier representative
    rep dr mr mrs ms miss professor prof sir lord lady judge justice official adviser
    advisor aide analyst economist correspondent reporter editor ceo founder deputy
    commissioner ayatollah sheikh emir sultan marshal admiral sergeant sgt"""
)
# Capitalised words that start sentences or clauses but are not names.
STOP_CAPS = words(
    """the a an but and or so yet after before when while as asked ahead amid in on at for
    from with without by of to if since during despite although though because however
    meanwhile also still then this that these those there here it he she they we i you his
    her their its our my your what which who why how where some many most several other
    another both each all no not now later earlier last next under over until unless
    following according more less one two three monday tuesday wednesday thursday friday
    saturday sunday january february march april may june july august september october
    november december"""
)
WEEKDAYS = words("monday tuesday wednesday thursday friday saturday sunday today yesterday")
ADVERBS = words(
    """also later then again previously earlier once still had has have will would could
    did does has not never repeatedly recently first"""
)
# Words that make a capitalised name an organisation or a place rather than a person.
NON_PERSON = words(
    """radio television tv news agency ministry department council kremlin union nations
    states kingdom republic emirates islands party army navy bank company corporation inc
    ltd group times post press university institute committee commission court parliament
    congress senate government office service forces fleet cosmodrome organization
    organisation association federation fund house street city sea ocean river east west
    north south northern southern eastern western central korea media reuters"""
)
ORG_WORDS = words(
    """radio television tv news agency ministry department council kremlin union nations
    party army navy bank company corporation inc ltd group times post press university
    institute committee commission court parliament congress senate government office
    service forces organization organisation association federation fund house
    pentagon"""
)
PERSON_PRONOUNS = frozenset({"he", "she"})
RECIPROCAL = frozenset({"each", "one", "themselves", "himself", "herself", "itself"})
NAMING_CUES = frozenset({"so-called", "dubbed", "nicknamed", "termed", "word", "words", "term"})
CONNECTORS = frozenset({"bin", "al", "de", "van", "von", "da", "der", "le", "la", "ibn"})
DETERMINERS = frozenset({"the", "a", "an"})
