"""Korean vocabulary of the simulated world: meet names per endpoint, people and horse names.

KRA spells Busan differently per endpoint, so the simulator must too: a client that joins on
the Korean name instead of the meet code should break here before it breaks in production.
"""

from __future__ import annotations

import random

MEETS: tuple[int, ...] = (1, 2, 3)

# API214_1 (race cards and results) names
RACE_MEET_NAMES: dict[int, str] = {1: "서울", 2: "제주", 3: "부경"}
# API8_2 / API12_1 / API19_1 (registries) names
REGISTRY_MEET_NAMES: dict[int, str] = {1: "서울", 2: "제주", 3: "부산경남"}
# API72_2 (race plan): no real sample exists; the third spelling KRA uses is chosen here.
PLAN_MEET_NAMES: dict[int, str] = {1: "서울", 2: "제주", 3: "부산"}

# API9_1 scratch reasons (Korean text, as KRA gives them)
SCRATCH_REASONS: tuple[str, ...] = ("마체이상", "부상", "질병", "기수변경불가")

WEEKDAY_NAMES: tuple[str, ...] = (
    "월요일",
    "화요일",
    "수요일",
    "목요일",
    "금요일",
    "토요일",
    "일요일",
)

_SURNAMES = (
    "김이박최정강조윤장임한오서신권황안송류전홍고문양손배백허유남심노하곽성차주우구"
    "민진지엄채원천방공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용"
)
_GIVEN = (
    "민서준도윤우현지호수영재성진태경상동규석승훈희철용찬효정연주은혜미선"
    "하나리아소원보라혁창환범기광명덕겸"
)
_FOREIGN_PEOPLE = (
    "먼로",
    "다나카",
    "해리카심",
    "라이스",
    "토마스",
    "리카디",
    "씨씨웡",
    "페로비치",
    "유카타",
    "코지",
)
_HORSE_SYLLABLES = (
    "가나다라마바사아자차카타파하강산별빛불꽃바람구름천둥번개태양달해운명"
    "승리황금은빛청룡백호용감한질주왕자공주대박행운영웅전설미래희망스타"
)
_HORSE_WORDS = (
    "킹",
    "퀸",
    "스톰",
    "스타",
    "골드",
    "블루",
    "캡틴",
    "로열",
    "빅토리",
    "챔피언",
    "글로리",
    "플라잉",
    "원더풀",
    "그레이트",
    "라이징",
    "썬더",
    "드림",
    "에이스",
    "하이",
    "베스트",
)

HORSE_COUNTRIES: tuple[tuple[str, int], ...] = (
    ("한국", 80),
    ("미국", 12),
    ("호주", 3),
    ("일본", 3),
    ("뉴질랜드", 2),
)
HORSE_GEAR: tuple[str, ...] = (
    "망사눈",
    "망사",
    "계란형큰",
    "반가지큰",
    "혀끈",
    "양털코",
    "승인편자",
    "가지큰",
)


def person_name(rng: random.Random, foreign_share: float = 0.0) -> str:
    """A jockey, trainer or owner name; a few riders and trainers are foreign, as at KRA."""
    if rng.random() < foreign_share:
        return rng.choice(_FOREIGN_PEOPLE)
    return rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(_GIVEN)


def horse_name(rng: random.Random) -> str:
    """A horse name in the KRA style: Korean syllables or a transliterated English word pair."""
    if rng.random() < 0.5:
        return rng.choice(_HORSE_WORDS) + rng.choice(_HORSE_WORDS)
    length = rng.randint(2, 5)
    return "".join(rng.choice(_HORSE_SYLLABLES) for _ in range(length))


def gear(rng: random.Random) -> str:
    """The hrTool field: a comma list of equipment, `+`/`-` marking gear put on or taken off."""
    count = rng.randint(1, 3)
    items = rng.sample(HORSE_GEAR, count)
    return ",".join(item + rng.choice(("", "", "", "+", "-")) for item in items)
