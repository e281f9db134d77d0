"""Vocabulary of the demo data generator: countries, names, niche phrases, platforms and rate lines.

Plain tables, no logic: marketplace.services.demo_profiles draws from them.
"""

from __future__ import annotations

# code -> (relative weight, languages (first is the main one), neighbouring audience markets, cities)
COUNTRIES: dict[str, tuple[float, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "US": (20, ("en", "es"), ("CA", "MX", "GB"), ("New York", "Los Angeles", "Austin", "Miami")),
    "GB": (8, ("en",), ("IE", "US", "AU"), ("London", "Manchester", "Bristol", "Edinburgh")),
    "FR": (12, ("fr", "en"), ("BE", "CH", "CA", "LU"), ("Paris", "Lyon", "Marseille", "Bordeaux")),
    "DE": (10, ("de", "en"), ("AT", "CH", "NL"), ("Berlin", "Munich", "Hamburg", "Cologne")),
    "ES": (7, ("es", "en"), ("MX", "AR", "PT"), ("Madrid", "Barcelona", "Valencia", "Seville")),
    "IT": (7, ("it", "en"), ("CH", "FR", "ES"), ("Milan", "Rome", "Naples", "Turin")),
    "BR": (7, ("pt", "es"), ("PT", "AR", "US"), ("Sao Paulo", "Rio de Janeiro", "Curitiba")),
    "PT": (2, ("pt", "en"), ("BR", "ES", "FR"), ("Lisbon", "Porto")),
    "NL": (3, ("nl", "en"), ("BE", "DE", "GB"), ("Amsterdam", "Rotterdam", "Utrecht")),
    "BE": (2, ("fr", "nl"), ("FR", "NL", "LU"), ("Brussels", "Antwerp", "Liege")),
    "CA": (3, ("en", "fr"), ("US", "FR", "GB"), ("Toronto", "Montreal", "Vancouver")),
    "MX": (4, ("es", "en"), ("US", "ES", "CO"), ("Mexico City", "Guadalajara", "Monterrey")),
    "AU": (2, ("en",), ("NZ", "GB", "US"), ("Sydney", "Melbourne", "Brisbane")),
    "IN": (4, ("en", "hi"), ("AE", "GB", "US"), ("Mumbai", "Delhi", "Bangalore")),
    "SE": (2, ("sv", "en"), ("NO", "DK", "FI"), ("Stockholm", "Gothenburg")),
    "PL": (2, ("pl", "en"), ("DE", "CZ", "GB"), ("Warsaw", "Krakow", "Wroclaw")),
    "JP": (2, ("ja", "en"), ("KR", "US", "TW"), ("Tokyo", "Osaka", "Fukuoka")),
    "CH": (1, ("de", "fr"), ("DE", "FR", "AT"), ("Zurich", "Geneva", "Basel")),
}
# Audience markets a bought-follower audience tends to come from: unrelated to most declared markets.
FARM_COUNTRIES = ("IN", "ID", "BD", "PK", "NG", "PH", "VN", "EG", "TR", "BR")

# language -> (first names, last names); ASCII so handles can be derived without transliteration.
NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "en": (
        ("Emma", "Olivia", "Ava", "Mia", "Liam", "Noah", "Jack", "Ethan", "Grace", "Chloe", "Ryan", "Zoe"),
        ("Smith", "Johnson", "Brown", "Taylor", "Wilson", "Evans", "Walker", "Hughes", "Carter", "Reed"),
    ),
    "fr": (
        ("Lea", "Chloe", "Manon", "Camille", "Ines", "Lucas", "Hugo", "Louis", "Jules", "Theo", "Clara"),
        ("Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Girard", "Roux", "Fournier", "Mercier"),
    ),
    "de": (
        ("Lena", "Anna", "Lea", "Hannah", "Mia", "Paul", "Leon", "Felix", "Jonas", "Lukas", "Sophie"),
        ("Muller", "Schmidt", "Schneider", "Fischer", "Weber", "Wagner", "Becker", "Hoffmann", "Koch"),
    ),
    "es": (
        ("Lucia", "Sofia", "Martina", "Paula", "Valeria", "Hugo", "Mateo", "Pablo", "Diego", "Alvaro"),
        ("Garcia", "Fernandez", "Lopez", "Martinez", "Sanchez", "Perez", "Gomez", "Ruiz", "Diaz"),
    ),
    "it": (
        ("Giulia", "Sofia", "Aurora", "Chiara", "Marco", "Luca", "Matteo", "Andrea", "Giorgia", "Elena"),
        ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Greco"),
    ),
    "pt": (
        ("Ana", "Beatriz", "Mariana", "Julia", "Larissa", "Joao", "Pedro", "Gabriel", "Rafael", "Tiago"),
        ("Silva", "Santos", "Oliveira", "Souza", "Costa", "Pereira", "Almeida", "Ferreira", "Rocha"),
    ),
    "nl": (
        ("Emma", "Julia", "Sanne", "Fleur", "Daan", "Sem", "Lars", "Bram", "Noor", "Tess"),
        ("de Jong", "Jansen", "de Vries", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "Bos"),
    ),
    "sv": (
        ("Elsa", "Alice", "Maja", "Ebba", "Oscar", "William", "Hugo", "Axel", "Linnea", "Nils"),
        ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Lindberg"),
    ),
    "pl": (
        ("Zuzanna", "Julia", "Maja", "Hanna", "Jakub", "Antoni", "Szymon", "Kacper", "Ola", "Marta"),
        ("Nowak", "Kowalski", "Wisniewski", "Wojcik", "Kaminski", "Lewandowski", "Zielinski"),
    ),
    "ja": (
        ("Yui", "Hina", "Sakura", "Aoi", "Haruto", "Sota", "Ren", "Yuto", "Mei", "Riku"),
        ("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura"),
    ),
}

# niche -> (relative weight as a main niche, phrases for the bio, a word for "<First> <Word>" names)
NICHES: dict[str, tuple[float, tuple[str, ...], str]] = {
    "lifestyle": (10, ("everyday life and little joys", "slow living and home decor", "city life"), "Daily"),
    "fashion": (9, ("street style and outfit ideas", "sustainable fashion", "vintage finds"), "Style"),
    "beauty": (9, ("skincare routines", "makeup tutorials", "clean beauty reviews"), "Glow"),
    "food": (9, ("home cooking and easy recipes", "street food hunting", "vegan recipes"), "Cooks"),
    "fitness": (8, ("home workouts", "strength training tips", "yoga and mobility"), "Fit"),
    "travel": (8, ("budget travel guides", "hidden gems and road trips", "slow travel"), "Travels"),
    "gaming": (6, ("let's plays and speedruns", "indie game reviews", "esports highlights"), "Plays"),
    "tech": (5, ("gadget reviews", "smartphone tips", "coding and productivity"), "Tech"),
    "parenting": (5, ("family life with three kids", "parenting tips", "toddler activities"), "Family"),
    "sport": (5, ("marathon training", "football analysis", "cycling adventures"), "Runs"),
    "music": (5, ("guitar covers", "music production", "live sessions"), "Music"),
    "health": (4, ("nutrition and wellbeing", "mental health talks", "healthy habits"), "Well"),
    "outdoor": (3, ("hiking and camping", "climbing trips", "wild swimming"), "Wild"),
    "pets": (3, ("life with two rescue dogs", "cat content", "pet care tips"), "Pets"),
    "finance": (3, ("personal finance made simple", "investing for beginners", "saving tips"), "Money"),
    "business": (2, ("building a small business", "startup lessons", "marketing tips"), "Works"),
    "jewellery": (2, ("handmade jewellery", "watch and ring reviews", "minimal jewellery"), "Gems"),
    "luxury": (2, ("luxury hotels and watches", "fine dining", "designer hauls"), "Luxe"),
    "art": (2, ("illustration and sketchbooks", "watercolour tutorials", "street art"), "Art"),
}

# Share of women in the audience, by main niche (the rest men, a little "other").
FEMALE_AUDIENCE: dict[str, float] = {
    "beauty": 0.82, "fashion": 0.75, "jewellery": 0.72, "parenting": 0.78, "lifestyle": 0.65,
    "health": 0.62, "food": 0.6, "fitness": 0.55, "travel": 0.56, "pets": 0.62, "art": 0.56,
    "luxury": 0.55, "music": 0.48, "outdoor": 0.42, "sport": 0.32, "finance": 0.3, "business": 0.38,
    "tech": 0.25, "gaming": 0.22,
}  # fmt: skip

PLATFORM_WEIGHTS: dict[str, float] = {
    "instagram": 45, "tiktok": 25, "youtube": 12, "blog": 6, "x": 5, "twitch": 3, "linkedin": 4,
}  # fmt: skip
# Extra weight a platform gets when it suits the main niche.
PLATFORM_BOOST: dict[str, dict[str, float]] = {
    "gaming": {"twitch": 30, "youtube": 15},
    "tech": {"youtube": 15, "x": 8},
    "finance": {"linkedin": 30, "x": 8, "youtube": 5},
    "business": {"linkedin": 40, "x": 8},
    "food": {"blog": 8},
    "travel": {"blog": 8, "youtube": 5},
    "parenting": {"blog": 8},
    "music": {"tiktok": 12, "youtube": 8},
    "beauty": {"instagram": 10, "tiktok": 8},
    "fashion": {"instagram": 12, "tiktok": 5},
    "fitness": {"instagram": 8, "youtube": 5},
}
# Engagement relative to the tier norm, by platform (short video engages more than long-form).
PLATFORM_ENGAGEMENT: dict[str, float] = {
    "instagram": 1.0, "tiktok": 1.25, "youtube": 0.8, "blog": 0.75, "x": 0.75, "twitch": 0.8, "linkedin": 0.9,
}  # fmt: skip
POSTS_PER_MONTH: dict[str, tuple[float, float]] = {
    "instagram": (4, 30), "tiktok": (8, 60), "youtube": (1, 8), "blog": (1, 8), "x": (10, 120),
    "twitch": (4, 20), "linkedin": (2, 12),
}  # fmt: skip
# Views per follower for the platforms where a view count is meaningful.
VIEWS_PER_FOLLOWER: dict[str, tuple[float, float]] = {
    "instagram": (0.2, 0.8), "tiktok": (0.5, 2.0), "youtube": (0.2, 1.2), "blog": (0.3, 1.0),
    "x": (0.1, 0.5), "twitch": (0.05, 0.2), "linkedin": (0.2, 0.8),
}  # fmt: skip
PROFILE_URL: dict[str, str] = {
    "instagram": "https://instagram.com/{}", "tiktok": "https://tiktok.com/@{}",
    "youtube": "https://youtube.com/@{}", "blog": "https://{}.blog.example", "x": "https://x.com/{}",
    "twitch": "https://twitch.tv/{}", "linkedin": "https://linkedin.com/in/{}",
}  # fmt: skip
# What an influencer prices on each platform: (deliverable, content creation); the first is the staple.
RATE_LINES: dict[str, tuple[tuple[str, bool], ...]] = {
    "instagram": (("post", True), ("story", True), ("reel", True), ("share", False)),
    "tiktok": (("video", True), ("live", True), ("share", False)),
    "youtube": (("video", True), ("short", True)),
    "twitch": (("live", True),),
    "x": (("post", True), ("share", False)),
    "linkedin": (("post", True), ("share", False)),
    "blog": (("blog_article", True),),
}
# Audience age buckets (the schema's) and the bucket each platform's audience centres on.
AGE_BUCKETS = ("13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+")
AGE_CENTRE: dict[str, int] = {
    "tiktok": 1, "twitch": 1, "instagram": 2, "youtube": 2, "x": 2, "blog": 3, "linkedin": 3,
}  # fmt: skip

BRAND_NAMES = (
    ("Nordic Oats", "food"),
    ("Maison Lumiere", "beauty"),
    ("Pixel Forge", "gaming"),
    ("Trailhead Outfitters", "outdoor"),
    ("Sunny Hotels", "travel"),
    ("Atelier Verre", "jewellery"),
    ("Kinetic Sportswear", "sport"),
    ("Bright Ledger", "finance"),
    ("Little Steps", "parenting"),
    ("Volt Mobile", "tech"),
    ("Green Bowl", "health"),
    ("Paw Pantry", "pets"),
)
