"""Word lists the English rules and the English NER decision share: titles, places, organisations,
nationalities, words that are not names."""

from __future__ import annotations

# Words that make a title, whether capitalised before a name or lower-case in an apposition.
# fmt: off
TITLE_WORDS = frozenset(
    [
        "president", "vice", "prime", "minister", "secretary", "chancellor", "senator", "sen", "rep",
        "representative", "governor", "gov", "mayor", "king", "queen", "prince", "princess", "pope",
        "emperor", "ambassador", "envoy", "spokesman", "spokeswoman", "spokesperson", "chief", "director",
        "ceo", "chairman", "chairwoman", "chair", "head", "leader", "adviser", "advisor", "commander",
        "general", "gen", "admiral", "colonel", "col", "judge", "justice", "attorney", "prosecutor",
        "speaker", "premier", "foreign", "defense", "defence", "interior", "finance", "deputy", "acting",
        "former", "ex", "first", "lady", "mr", "mrs", "ms", "dr", "sir", "lord", "special", "national",
        "security", "state", "press", "founder", "coach", "captain", "officer", "minister-president",
        "official", "analyst", "economist", "diplomat",
    ]
)
# fmt: on
# Title words that can head a title (the others only modify one: "foreign", "deputy", "national").
# fmt: off
TITLE_HEADS = frozenset(
    [
        "president", "minister", "secretary", "chancellor", "senator", "sen", "rep", "representative",
        "governor", "gov", "mayor", "king", "queen", "prince", "princess", "pope", "emperor", "ambassador",
        "envoy", "spokesman", "spokeswoman", "spokesperson", "chief", "director", "ceo", "chairman",
        "chairwoman", "chair", "head", "leader", "adviser", "advisor", "commander", "general", "gen",
        "admiral", "colonel", "col", "judge", "justice", "attorney", "prosecutor", "speaker", "premier",
        "founder", "coach", "captain", "officer", "official", "analyst", "economist", "diplomat",
    ]
)
# fmt: on
HONORIFICS = frozenset({"mr", "mrs", "ms", "dr", "sir", "lord"})

# fmt: off
NATIONALITIES = {
    "russian": "россия", "american": "сша", "u.s.": "сша", "u.s": "сша", "us": "сша", "ukrainian": "украина",
    "belarusian": "белоруссия", "british": "великобритания", "french": "франция", "german": "германия",
    "chinese": "китай", "japanese": "япония", "turkish": "турция", "israeli": "израиль", "iranian": "иран",
    "polish": "польша", "italian": "италия", "indian": "индия", "pakistani": "пакистан",
    "european": "евросоюз", "canadian": "канада", "spanish": "испания", "saudi": "саудовская аравия",
}
# fmt: on

# Countries and capitals that English news names most; with the alias table this marks places.
# fmt: off
PLACES = frozenset(
    [
        "afghanistan", "albania", "algeria", "argentina", "armenia", "australia", "austria", "azerbaijan",
        "belgium", "brazil", "bulgaria", "canada", "chile", "china", "colombia", "croatia", "cuba", "cyprus",
        "denmark", "egypt", "estonia", "ethiopia", "finland", "france", "georgia", "germany", "greece",
        "hungary", "india", "indonesia", "iran", "iraq", "ireland", "israel", "italy", "japan", "jordan",
        "kazakhstan", "kenya", "korea", "kosovo", "kuwait", "kyrgyzstan", "latvia", "lebanon", "libya",
        "lithuania", "mexico", "moldova", "mongolia", "morocco", "netherlands", "nigeria", "norway",
        "pakistan", "palestine", "poland", "portugal", "qatar", "romania", "russia", "serbia", "singapore",
        "slovakia", "slovenia", "somalia", "spain", "sudan", "sweden", "switzerland", "syria", "taiwan",
        "tajikistan", "thailand", "tunisia", "turkey", "turkmenistan", "ukraine", "uzbekistan", "venezuela",
        "vietnam", "yemen", "belarus", "crimea", "gaza", "europe", "asia", "africa", "moscow", "kyiv", "kiev",
        "minsk", "washington", "london", "paris", "berlin", "beijing", "tokyo", "ankara", "tehran",
        "jerusalem", "brussels", "geneva", "istanbul", "warsaw", "rome", "madrid", "vienna", "prague",
        "budapest", "riga", "vilnius", "tallinn", "helsinki", "stockholm", "oslo", "copenhagen", "amsterdam",
        "dublin", "lisbon", "athens", "cairo", "baghdad", "damascus", "beirut", "kabul", "islamabad", "delhi",
        "seoul", "pyongyang", "hong", "kong", "bishkek", "astana", "tashkent", "baku", "yerevan", "tbilisi",
        "chisinau", "donetsk", "luhansk", "kharkiv", "odesa", "odessa", "california", "texas",
        "florida", "york",
        # more countries and regions
        "bangladesh", "bolivia", "cambodia", "ecuador", "ghana", "iceland", "laos", "luxembourg", "malaysia",
        "malta", "myanmar", "nepal", "oman", "panama", "paraguay", "peru", "philippines", "rwanda", "senegal",
        "scotland", "wales", "england", "uganda", "uruguay", "zimbabwe", "tanzania", "angola", "bahrain",
        "brunei", "macedonia", "montenegro", "bosnia", "herzegovina", "greenland", "siberia", "chechnya",
        "dagestan", "donbas", "donbass", "kherson", "zaporizhzhia", "mariupol", "bakhmut", "kursk",
        "belgorod", "sevastopol", "transnistria", "abkhazia", "ossetia", "karabakh", "kashmir", "tibet",
        "xinjiang", "caucasus", "balkans", "arctic", "antarctica", "scandinavia",
        # US states (the two-word ones are in MULTIWORD_PLACES)
        "alabama", "alaska", "arizona", "arkansas", "colorado", "connecticut", "delaware", "hawaii", "idaho",
        "illinois", "indiana", "iowa", "kansas", "kentucky", "louisiana", "maine", "maryland",
        "massachusetts", "michigan", "minnesota", "mississippi", "missouri", "montana", "nebraska", "nevada",
        "ohio", "oklahoma", "oregon", "pennsylvania", "tennessee", "utah", "vermont", "virginia", "wisconsin",
        "wyoming",
        # cities English news names often
        "chicago", "boston", "houston", "dallas", "miami", "atlanta", "seattle", "detroit", "philadelphia",
        "baltimore", "denver", "phoenix", "toronto", "montreal", "vancouver", "ottawa", "sydney", "melbourne",
        "canberra", "manchester", "liverpool", "birmingham", "glasgow", "edinburgh", "belfast", "cardiff",
        "munich", "frankfurt", "hamburg", "milan", "naples", "barcelona", "lyon", "marseille", "zurich",
        "mumbai", "bangalore", "kolkata", "chennai", "karachi", "lahore", "dhaka", "jakarta", "manila",
        "bangkok", "hanoi", "shanghai", "shenzhen", "wuhan", "taipei", "dubai", "doha", "riyadh",
        "tripoli", "khartoum", "nairobi", "lagos", "johannesburg", "davos", "strasbourg", "kaliningrad",
        "petersburg", "sochi", "kazan", "novosibirsk", "yekaterinburg", "lviv", "dnipro", "lima", "bogota",
        "caracas", "havana", "santiago", "brasilia", "montevideo",
    ]
)
# Places of two or more words, lower-case: a run of capitalised words that is one of these is a place,
# not a person ("South Africa", "Los Angeles", "Hong Kong").
# fmt: off
MULTIWORD_PLACES = frozenset(
    [
        "new york", "new york city", "new delhi", "new zealand", "new jersey", "new mexico", "new hampshire",
        "new orleans", "new south wales", "los angeles", "san francisco", "san diego", "san jose",
        "las vegas", "hong kong", "south africa", "south korea", "north korea", "south sudan",
        "saudi arabia", "united arab emirates", "northern ireland", "cape town", "tel aviv", "abu dhabi",
        "sri lanka", "latin america", "south america", "north america", "central asia", "middle east",
        "east asia", "southeast asia", "west bank", "gaza strip", "rio de janeiro", "buenos aires",
        "mexico city", "kuala lumpur", "st petersburg", "st. petersburg", "saint petersburg",
        "north carolina", "south carolina", "west virginia", "rhode island", "north dakota", "south dakota",
        "northern california", "southern california", "silicon valley", "costa rica", "puerto rico",
        "el salvador", "czech republic", "dominican republic", "ivory coast", "burkina faso", "sierra leone",
        "bosnia and herzegovina", "north macedonia", "east timor", "hague", "the hague", "vatican city",
        "kansas city", "salt lake city", "washington dc", "washington d.c.", "black sea", "baltic sea",
        "red sea", "south china sea", "persian gulf", "strait of hormuz", "european union",
    ]
)
# Last words that make a capitalised run a place, or a thing that is no entity of /who (an event, a
# product, a show): "Beverly Hills", "Wembley Stadium"; "World Cup", "Morning Show", "Echo Dot".
PLACE_HEADS = frozenset(
    [
        "hills", "stadium", "arena", "park", "street", "avenue", "square", "bridge", "airport", "station",
        "island", "islands", "river", "lake", "mountain", "mountains", "valley", "beach", "bay", "coast",
        "county", "province", "region", "district", "peninsula", "sea", "ocean", "gulf", "strait",
    ]
)
NOT_PERSON_HEADS = frozenset(
    [
        "cup", "show", "awards", "award", "prize", "festival", "championship", "championships", "games",
        "series", "summit", "conference", "forum", "act", "bill", "program", "programme", "project",
        "initiative", "plan", "day", "app", "phone", "pro", "plus", "max", "mini", "edition", "analytics",
        "economics", "workers", "index", "report", "survey", "sharing", "management", "orchestra",
    ]
)
# Places that are also first names ("Jordan Henderson"); other places never begin a person's name.
PLACE_FIRST_NAMES = frozenset(
    ["jordan", "georgia", "israel", "india", "victoria", "virginia", "sydney", "paris", "austin", "florida"]
)
# Organisations whose names hold no organisation word.
KNOWN_ORGS = frozenset(
    [
        "white house", "federal reserve", "islamic state", "wall street", "downing street",
        "capitol hill", "world bank", "scotland yard", "red cross", "red crescent", "hamas", "hezbollah",
        "taliban", "al qaeda", "al-qaeda", "opec", "interpol", "europol", "gazprom", "rosneft", "google",
        "apple", "microsoft", "amazon", "facebook", "meta", "twitter", "tesla", "boeing", "airbus", "netflix",
        "spacex", "openai", "nvidia", "huawei", "samsung", "toyota", "volkswagen",
    ]
)
# fmt: on
# fmt: on
# fmt: off
ORG_WORDS = frozenset(
    [
        "ministry", "party", "council", "bank", "inc", "corp", "corporation", "ltd", "llc", "plc",
        "university", "agency", "union", "committee", "court", "department", "commission", "organization",
        "organisation", "group", "company", "association", "institute", "foundation", "fund", "army",
        "forces", "navy", "parliament", "congress", "senate", "kremlin", "pentagon", "reuters", "bloomberg",
        "times", "post", "news", "journal", "press", "service", "office", "administration", "government",
        "club", "league", "federation", "airlines", "airways", "motors", "international", "network",
        "channel", "tv", "radio", "media", "school", "college", "hospital", "police", "guard",
        "reserve", "treasury", "cabinet", "assembly", "embassy", "consulate", "bureau", "authority",
        "exchange", "alliance", "coalition", "movement", "brigade", "brigades", "labs", "lab", "studios",
        "systems", "technologies", "holdings", "fc", "airline", "railways", "directorate", "tribunal",
    ]
)
# fmt: on
# Capitalised words that are not names: calendar words, sentence openers the tagger-free rules meet.
# fmt: off
NOT_NAMES = frozenset(
    [
        "the", "a", "an", "in", "on", "at", "of", "for", "to", "from", "by", "with", "and", "or", "but", "as",
        "if", "it", "its", "this", "that", "these", "those", "there", "he", "she", "they", "we", "i", "you",
        "his", "her", "their", "our", "my", "your", "monday", "tuesday", "wednesday", "thursday", "friday",
        "saturday", "sunday", "january", "february", "march", "april", "may", "june", "july", "august",
        "september", "october", "november", "december", "after", "before", "when", "while", "during", "since",
        "although", "however", "meanwhile", "today", "yesterday", "tomorrow", "last", "next", "new",
        "breaking", "update", "read", "watch", "more", "also", "according",
    ]
)
# fmt: on
