"""The demo customers' world: where accounts are, what they are called, who works there. Data only."""

REGION_WEIGHTS = {"AMER": 50, "EMEA": 32, "APAC": 18}
COUNTRY_WEIGHTS = {
    "AMER": {"US": 70, "CA": 10, "BR": 7, "MX": 5, "AR": 2, "CL": 2, "CO": 2, "PE": 1, "UY": 1},
    "EMEA": {
        "GB": 22, "DE": 20, "FR": 12, "NL": 8, "SE": 5, "CH": 5, "ES": 5, "IT": 5, "IE": 4, "PL": 3,
        "DK": 3, "BE": 3, "AT": 2, "NO": 2, "FI": 2, "IL": 2, "AE": 2, "ZA": 2,
    },
    "APAC": {"AU": 30, "JP": 20, "SG": 15, "KR": 8, "IN": 6, "NZ": 6, "HK": 5, "PH": 4, "MY": 3, "ID": 3},
}  # fmt: skip
CITIES = {
    "US": ["San Francisco, CA 94105", "Austin, TX 78701", "New York, NY 10001", "Chicago, IL 60601",
           "Seattle, WA 98101", "Boston, MA 02110", "Denver, CO 80202", "Atlanta, GA 30303"],
    "CA": ["Toronto, ON M5H 2N2", "Vancouver, BC V6B 1A1", "Montreal, QC H3B 2Y5"],
    "BR": ["São Paulo, SP 01310-100", "Rio de Janeiro, RJ 20040-020"],
    "MX": ["Ciudad de México, CDMX 06600", "Monterrey, NL 64000"],
    "AR": ["Buenos Aires C1001"], "CL": ["Santiago 8320000"], "CO": ["Bogotá 110111"], "PE": ["Lima 15001"],
    "UY": ["Montevideo 11000"],
    "GB": ["London EC2A 4NE", "Manchester M1 1AE", "Edinburgh EH1 1YZ", "Bristol BS1 4DJ"],
    "DE": ["10115 Berlin", "80331 München", "20095 Hamburg", "60311 Frankfurt am Main"],
    "FR": ["75002 Paris", "69002 Lyon", "31000 Toulouse"], "NL": ["1012 AB Amsterdam", "3011 AD Rotterdam"],
    "SE": ["111 57 Stockholm"], "CH": ["8001 Zürich", "1204 Genève"], "ES": ["28013 Madrid", "08002 Barcelona"],
    "IT": ["20121 Milano", "00184 Roma"], "IE": ["Dublin D02 X285"], "PL": ["00-001 Warszawa"],
    "DK": ["1050 København"], "BE": ["1000 Bruxelles"], "AT": ["1010 Wien"], "NO": ["0150 Oslo"],
    "FI": ["00100 Helsinki"], "IL": ["Tel Aviv 6100000"], "AE": ["Dubai"], "ZA": ["Cape Town 8001"],
    "AU": ["Sydney NSW 2000", "Melbourne VIC 3000", "Brisbane QLD 4000"], "JP": ["Tokyo 100-0005", "Osaka 530-0001"],
    "SG": ["Singapore 018989"], "KR": ["Seoul 04524"], "IN": ["Bengaluru 560001", "Mumbai 400001", "Pune 411001"],
    "NZ": ["Auckland 1010"], "HK": ["Central, Hong Kong"], "PH": ["Makati City 1226"], "MY": ["50450 Kuala Lumpur"],
    "ID": ["Jakarta 10310"],
}  # fmt: skip
LEGAL_SUFFIX = {
    "US": ["Inc.", "LLC", "Corp."], "CA": ["Inc.", "Ltd."], "BR": ["Ltda.", "S.A."], "MX": ["S.A. de C.V."],
    "GB": ["Ltd", "plc"], "IE": ["Ltd"], "DE": ["GmbH", "AG"], "AT": ["GmbH"], "CH": ["AG", "SA"],
    "FR": ["SAS", "SA"], "NL": ["B.V."], "BE": ["NV", "SA"], "SE": ["AB"], "DK": ["A/S"], "NO": ["AS"],
    "FI": ["Oy"], "ES": ["S.L.", "S.A."], "IT": ["S.p.A.", "S.r.l."], "PL": ["Sp. z o.o."],
    "AU": ["Pty Ltd"], "NZ": ["Ltd"], "JP": ["K.K."], "IN": ["Pvt Ltd", "Ltd"], "SG": ["Pte Ltd"],
    "HK": ["Ltd"], "MY": ["Sdn Bhd"], "ID": ["PT"], "KR": ["Co., Ltd."], "PH": ["Inc."],
}  # fmt: skip
TLD = {
    "US": "com", "CA": "ca", "BR": "com.br", "MX": "com.mx", "GB": "co.uk", "IE": "ie", "DE": "de", "AT": "at",
    "CH": "ch", "FR": "fr", "NL": "nl", "BE": "be", "SE": "se", "DK": "dk", "NO": "no", "FI": "fi", "ES": "es",
    "IT": "it", "PL": "pl", "AU": "com.au", "NZ": "co.nz", "JP": "co.jp", "IN": "in", "SG": "com.sg",
    "HK": "com.hk", "MY": "com.my", "KR": "co.kr",
}  # fmt: skip
STREETS = [
    "Market Street", "Main Street", "Harbour Road", "King Street", "Park Avenue", "Station Road", "Industrial Way",
    "Innovation Drive", "River Lane", "Commerce Boulevard", "High Street", "Bridge Road",
]  # fmt: skip
NAME_STEMS = [
    "Northwind", "Bluepeak", "Ironclad", "Silverline", "Redwood", "Brightwater", "Granite", "Evergreen", "Summit",
    "Harbor", "Lumen", "Vertex", "Cobalt", "Meridian", "Atlas", "Pioneer", "Crescent", "Falcon", "Horizon",
    "Keystone", "Sterling", "Orion", "Nimbus", "Cascade", "Quantum", "Beacon", "Aurora", "Pinnacle", "Sequoia",
    "Tidewater", "Zenith", "Polaris", "Juniper", "Halcyon", "Copperleaf", "Riverstone", "Stonebridge", "Oakmont",
    "Westbrook", "Fairview", "Blackwood", "Clearwater", "Highland", "Lakeshore", "Maplewood", "Starling", "Kestrel",
    "Osprey", "Solstice", "Ember", "Larkspur", "Bramble", "Calder", "Driftwood", "Foxglove", "Greystone",
]  # fmt: skip
INDUSTRIES = [
    "Logistics", "Health", "Financial", "Software", "Analytics", "Energy", "Robotics", "Media", "Telecom",
    "Biotech", "Insurance", "Retail", "Foods", "Motors", "Aerospace", "Pharma", "Capital", "Networks", "Systems",
    "Labs", "Semiconductor", "Bank", "Airlines", "Games", "Security", "Learning", "Mobility", "Payments", "Cloud",
    "Data", "Shipping", "Manufacturing", "Consulting", "Utilities", "Travel", "Hospitality",
]  # fmt: skip
QUALIFIERS = ["", "", "", "", "Group", "Holdings", "Technologies", "Partners", "International", "Solutions"]
FIRST_NAMES = [
    "Emma", "Noah", "Olivia", "Liam", "Ava", "Mateo", "Sofia", "Lucas", "Mia", "Ethan", "Isabella", "Arjun",
    "Ananya", "Wei", "Hiroshi", "Yuki", "Min-jun", "Seo-yeon", "Chloe", "Finn", "Lena", "Jonas", "Elif", "Omar",
    "Fatima", "Kwame", "Amara", "Diego", "Valentina", "Camila", "Rafael", "Thiago", "Nora", "Erik", "Astrid",
    "Pierre", "Camille", "Giulia", "Marco", "Zofia", "Jakub", "Siobhan", "Declan", "Aisha", "Rohan", "Kavya",
    "Daniel", "Sarah", "Michael", "Jessica", "David", "Laura", "James", "Rachel", "Tomás", "Ingrid", "Mateus",
]  # fmt: skip
LAST_NAMES = [
    "Smith", "Johnson", "Garcia", "Martinez", "Brown", "Müller", "Schneider", "Rossi", "Bianchi", "Dubois",
    "Martin", "Jansen", "de Vries", "Andersson", "Nielsen", "Kowalski", "Nowak", "Murphy", "Kelly", "Silva",
    "Santos", "Hernández", "López", "Sato", "Suzuki", "Takahashi", "Kim", "Lee", "Park", "Chen", "Wang", "Li",
    "Singh", "Sharma", "Patel", "Iyer", "Reddy", "Cohen", "Levi", "Haddad", "Mensah", "Okoye", "Walker", "Wright",
    "Taylor", "Anderson", "Thomas", "Moore", "Clark", "Lewis", "Young", "Allen", "Scott", "Baker", "Adams",
]  # fmt: skip
