//! ISO 3166 country and subdivision tables for address validation.
//!
//! account-svc validates postal addresses with these tables. The country may
//! be given as an ISO 3166-1 alpha-2 code, its English short name or a common
//! alias ("USA", "Holland", "South Korea"). In the United States, Canada, the
//! Netherlands, Italy and Germany the state (province, Land) is part of the
//! address: there it is required and must be one of the subdivisions listed
//! here, given as its code (with or without the country prefix, "CA" or
//! "US-CA"), its name or an alias. The refined address carries the ISO codes:
//! the alpha-2 country code and the subdivision code without the country
//! prefix.
//!
//! Matching ignores case, surrounding and repeated white space, the
//! punctuation `.`, `,`, `(` and `)`, treats `-`, `_` and `/` as spaces and
//! folds common Latin diacritics, so "Cote d'Ivoire", "Turkiye",
//! "Thuringen" and "Washington, D.C." all match.
//!
//! Sources:
//! - ISO 3166-1: all 249 officially assigned alpha-2 codes. The names are
//!   the English short names as carried by the Debian iso-codes data (ISO's
//!   short name without the "(the)" article form, e.g. "United States" for
//!   "United States of America (the)"); ISO's formal names are accepted as
//!   aliases.
//! - ISO 3166-2: US (50 states, the District of Columbia and the 6 outlying
//!   areas), CA (10 provinces and 3 territories), NL (12 provinces, the
//!   countries Aruba, Curaçao and Sint Maarten and the special municipalities
//!   Bonaire, Saba and Sint Eustatius), IT (the 106 two-letter codes of the
//!   provinces, metropolitan cities, free municipal consortia and
//!   decentralized regional entities; the 20 numeric region codes are not
//!   used) and DE (16 Länder). Names are as ISO 3166-2 lists them (Italian
//!   names for Italy, German for Germany); English names are aliases.
//! - One addition that is not in ISO 3166-2: the Italian "AO" (Aosta), which
//!   Italian addresses use for the Valle d'Aosta.
//!
//! The data was checked against Debian iso-codes 4.15 and pycountry 26.2.16.

/// A country of ISO 3166-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CountryInfo {
    /// ISO 3166-1 alpha-2 code, upper case.
    pub code: &'static str,
    /// English short name.
    pub name: &'static str,
}

/// A subdivision of ISO 3166-2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Subdivision {
    /// The code without the country prefix, upper case ("CA" for "US-CA").
    pub code: &'static str,
    /// The name as ISO 3166-2 lists it.
    pub name: &'static str,
}

const fn country(code: &'static str, name: &'static str) -> CountryInfo {
    CountryInfo { code, name }
}

const fn subdivision(code: &'static str, name: &'static str) -> Subdivision {
    Subdivision { code, name }
}

/// Finds a country by its alpha-2 code, its name or an alias.
///
/// Returns `None` for anything else, including an empty input.
#[must_use]
pub fn find_country(input: &str) -> Option<&'static CountryInfo> {
    let key = normalize(input);
    if key.is_empty() {
        return None;
    }
    find_country_by_key(&key).or_else(|| key.strip_prefix("the ").and_then(find_country_by_key))
}

fn find_country_by_key(key: &str) -> Option<&'static CountryInfo> {
    COUNTRIES
        .iter()
        .find(|c| c.code.eq_ignore_ascii_case(key))
        .or_else(|| COUNTRIES.iter().find(|c| normalize(c.name) == key))
        .or_else(|| {
            ALIASES
                .iter()
                .find(|(alias, _)| normalize(alias) == key)
                .and_then(|(_, code)| COUNTRIES.iter().find(|c| c.code == *code))
        })
}

/// Whether an address in this country (alpha-2 code, any case) must name a
/// state, province or Land: true for US, CA, NL, IT and DE.
#[must_use]
pub fn state_required(country_code: &str) -> bool {
    subdivisions_of(country_code).is_some()
}

/// Finds a subdivision of the country with this alpha-2 code (any case) by
/// its code ("CA" or "US-CA"), its name or an alias.
///
/// Returns `None` if the country has no subdivision table (see
/// [`state_required`]) or nothing matches.
#[must_use]
pub fn find_subdivision(country_code: &str, input: &str) -> Option<&'static Subdivision> {
    let country_code = country_code.trim();
    let table = subdivisions_of(country_code)?;
    let input = input.trim();
    // A full ISO 3166-2 code such as "US-CA".
    if let Some((prefix, code)) = input.split_once('-')
        && prefix.trim().eq_ignore_ascii_case(country_code)
        && let Some(found) = table
            .iter()
            .find(|s| s.code.eq_ignore_ascii_case(code.trim()))
    {
        return Some(found);
    }
    let key = normalize(input);
    if key.is_empty() {
        return None;
    }
    table
        .iter()
        .find(|s| s.code.eq_ignore_ascii_case(&key))
        .or_else(|| table.iter().find(|s| normalize(s.name) == key))
        .or_else(|| {
            SUBDIVISION_ALIASES
                .iter()
                .find(|(cc, alias, _)| {
                    cc.eq_ignore_ascii_case(country_code) && normalize(alias) == key
                })
                .and_then(|(_, _, code)| table.iter().find(|s| s.code == *code))
        })
}

fn subdivisions_of(country_code: &str) -> Option<&'static [Subdivision]> {
    let country_code = country_code.trim();
    SUBDIVISION_TABLES
        .iter()
        .find(|(cc, _)| cc.eq_ignore_ascii_case(country_code))
        .map(|(_, table)| *table)
}

/// The comparison key of a name: lower case, common Latin diacritics folded,
/// `.`, `,`, `(` and `)` dropped, typographic apostrophes made `'`, and runs
/// of white space, `-`, `_` and `/` made one space, trimmed.
fn normalize(input: &str) -> String {
    let mut key = String::with_capacity(input.len());
    let mut space = false;
    for c in input.chars().flat_map(char::to_lowercase).map(fold) {
        match c {
            '.' | ',' | '(' | ')' => {}
            '-' | '_' | '/' | '\u{2013}' | '\u{2014}' => space = true,
            c if c.is_whitespace() => space = true,
            c => {
                if space && !key.is_empty() {
                    key.push(' ');
                }
                space = false;
                key.push(c);
            }
        }
    }
    key
}

/// Folds a lower-case letter with a diacritic to its base letter, and a
/// typographic apostrophe to `'`.
fn fold(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => 'a',
        'ç' | 'ć' | 'č' => 'c',
        'ď' | 'đ' => 'd',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => 'i',
        'ł' => 'l',
        'ñ' | 'ń' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => 'o',
        'ŕ' | 'ř' => 'r',
        'ś' | 'š' | 'ş' | 'ș' => 's',
        'ť' | 'ţ' | 'ț' => 't',
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => 'u',
        'ý' | 'ÿ' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        '\u{2018}' | '\u{2019}' | '\u{02BC}' | '`' => '\'',
        c => c,
    }
}

/// All 249 ISO 3166-1 countries, by alpha-2 code.
pub const COUNTRIES: &[CountryInfo] = &[
    country("AD", "Andorra"),
    country("AE", "United Arab Emirates"),
    country("AF", "Afghanistan"),
    country("AG", "Antigua and Barbuda"),
    country("AI", "Anguilla"),
    country("AL", "Albania"),
    country("AM", "Armenia"),
    country("AO", "Angola"),
    country("AQ", "Antarctica"),
    country("AR", "Argentina"),
    country("AS", "American Samoa"),
    country("AT", "Austria"),
    country("AU", "Australia"),
    country("AW", "Aruba"),
    country("AX", "Åland Islands"),
    country("AZ", "Azerbaijan"),
    country("BA", "Bosnia and Herzegovina"),
    country("BB", "Barbados"),
    country("BD", "Bangladesh"),
    country("BE", "Belgium"),
    country("BF", "Burkina Faso"),
    country("BG", "Bulgaria"),
    country("BH", "Bahrain"),
    country("BI", "Burundi"),
    country("BJ", "Benin"),
    country("BL", "Saint Barthélemy"),
    country("BM", "Bermuda"),
    country("BN", "Brunei Darussalam"),
    country("BO", "Bolivia, Plurinational State of"),
    country("BQ", "Bonaire, Sint Eustatius and Saba"),
    country("BR", "Brazil"),
    country("BS", "Bahamas"),
    country("BT", "Bhutan"),
    country("BV", "Bouvet Island"),
    country("BW", "Botswana"),
    country("BY", "Belarus"),
    country("BZ", "Belize"),
    country("CA", "Canada"),
    country("CC", "Cocos (Keeling) Islands"),
    country("CD", "Congo, The Democratic Republic of the"),
    country("CF", "Central African Republic"),
    country("CG", "Congo"),
    country("CH", "Switzerland"),
    country("CI", "Côte d'Ivoire"),
    country("CK", "Cook Islands"),
    country("CL", "Chile"),
    country("CM", "Cameroon"),
    country("CN", "China"),
    country("CO", "Colombia"),
    country("CR", "Costa Rica"),
    country("CU", "Cuba"),
    country("CV", "Cabo Verde"),
    country("CW", "Curaçao"),
    country("CX", "Christmas Island"),
    country("CY", "Cyprus"),
    country("CZ", "Czechia"),
    country("DE", "Germany"),
    country("DJ", "Djibouti"),
    country("DK", "Denmark"),
    country("DM", "Dominica"),
    country("DO", "Dominican Republic"),
    country("DZ", "Algeria"),
    country("EC", "Ecuador"),
    country("EE", "Estonia"),
    country("EG", "Egypt"),
    country("EH", "Western Sahara"),
    country("ER", "Eritrea"),
    country("ES", "Spain"),
    country("ET", "Ethiopia"),
    country("FI", "Finland"),
    country("FJ", "Fiji"),
    country("FK", "Falkland Islands (Malvinas)"),
    country("FM", "Micronesia, Federated States of"),
    country("FO", "Faroe Islands"),
    country("FR", "France"),
    country("GA", "Gabon"),
    country("GB", "United Kingdom"),
    country("GD", "Grenada"),
    country("GE", "Georgia"),
    country("GF", "French Guiana"),
    country("GG", "Guernsey"),
    country("GH", "Ghana"),
    country("GI", "Gibraltar"),
    country("GL", "Greenland"),
    country("GM", "Gambia"),
    country("GN", "Guinea"),
    country("GP", "Guadeloupe"),
    country("GQ", "Equatorial Guinea"),
    country("GR", "Greece"),
    country("GS", "South Georgia and the South Sandwich Islands"),
    country("GT", "Guatemala"),
    country("GU", "Guam"),
    country("GW", "Guinea-Bissau"),
    country("GY", "Guyana"),
    country("HK", "Hong Kong"),
    country("HM", "Heard Island and McDonald Islands"),
    country("HN", "Honduras"),
    country("HR", "Croatia"),
    country("HT", "Haiti"),
    country("HU", "Hungary"),
    country("ID", "Indonesia"),
    country("IE", "Ireland"),
    country("IL", "Israel"),
    country("IM", "Isle of Man"),
    country("IN", "India"),
    country("IO", "British Indian Ocean Territory"),
    country("IQ", "Iraq"),
    country("IR", "Iran, Islamic Republic of"),
    country("IS", "Iceland"),
    country("IT", "Italy"),
    country("JE", "Jersey"),
    country("JM", "Jamaica"),
    country("JO", "Jordan"),
    country("JP", "Japan"),
    country("KE", "Kenya"),
    country("KG", "Kyrgyzstan"),
    country("KH", "Cambodia"),
    country("KI", "Kiribati"),
    country("KM", "Comoros"),
    country("KN", "Saint Kitts and Nevis"),
    country("KP", "Korea, Democratic People's Republic of"),
    country("KR", "Korea, Republic of"),
    country("KW", "Kuwait"),
    country("KY", "Cayman Islands"),
    country("KZ", "Kazakhstan"),
    country("LA", "Lao People's Democratic Republic"),
    country("LB", "Lebanon"),
    country("LC", "Saint Lucia"),
    country("LI", "Liechtenstein"),
    country("LK", "Sri Lanka"),
    country("LR", "Liberia"),
    country("LS", "Lesotho"),
    country("LT", "Lithuania"),
    country("LU", "Luxembourg"),
    country("LV", "Latvia"),
    country("LY", "Libya"),
    country("MA", "Morocco"),
    country("MC", "Monaco"),
    country("MD", "Moldova, Republic of"),
    country("ME", "Montenegro"),
    country("MF", "Saint Martin (French part)"),
    country("MG", "Madagascar"),
    country("MH", "Marshall Islands"),
    country("MK", "North Macedonia"),
    country("ML", "Mali"),
    country("MM", "Myanmar"),
    country("MN", "Mongolia"),
    country("MO", "Macao"),
    country("MP", "Northern Mariana Islands"),
    country("MQ", "Martinique"),
    country("MR", "Mauritania"),
    country("MS", "Montserrat"),
    country("MT", "Malta"),
    country("MU", "Mauritius"),
    country("MV", "Maldives"),
    country("MW", "Malawi"),
    country("MX", "Mexico"),
    country("MY", "Malaysia"),
    country("MZ", "Mozambique"),
    country("NA", "Namibia"),
    country("NC", "New Caledonia"),
    country("NE", "Niger"),
    country("NF", "Norfolk Island"),
    country("NG", "Nigeria"),
    country("NI", "Nicaragua"),
    country("NL", "Netherlands"),
    country("NO", "Norway"),
    country("NP", "Nepal"),
    country("NR", "Nauru"),
    country("NU", "Niue"),
    country("NZ", "New Zealand"),
    country("OM", "Oman"),
    country("PA", "Panama"),
    country("PE", "Peru"),
    country("PF", "French Polynesia"),
    country("PG", "Papua New Guinea"),
    country("PH", "Philippines"),
    country("PK", "Pakistan"),
    country("PL", "Poland"),
    country("PM", "Saint Pierre and Miquelon"),
    country("PN", "Pitcairn"),
    country("PR", "Puerto Rico"),
    country("PS", "Palestine, State of"),
    country("PT", "Portugal"),
    country("PW", "Palau"),
    country("PY", "Paraguay"),
    country("QA", "Qatar"),
    country("RE", "Réunion"),
    country("RO", "Romania"),
    country("RS", "Serbia"),
    country("RU", "Russian Federation"),
    country("RW", "Rwanda"),
    country("SA", "Saudi Arabia"),
    country("SB", "Solomon Islands"),
    country("SC", "Seychelles"),
    country("SD", "Sudan"),
    country("SE", "Sweden"),
    country("SG", "Singapore"),
    country("SH", "Saint Helena, Ascension and Tristan da Cunha"),
    country("SI", "Slovenia"),
    country("SJ", "Svalbard and Jan Mayen"),
    country("SK", "Slovakia"),
    country("SL", "Sierra Leone"),
    country("SM", "San Marino"),
    country("SN", "Senegal"),
    country("SO", "Somalia"),
    country("SR", "Suriname"),
    country("SS", "South Sudan"),
    country("ST", "Sao Tome and Principe"),
    country("SV", "El Salvador"),
    country("SX", "Sint Maarten (Dutch part)"),
    country("SY", "Syrian Arab Republic"),
    country("SZ", "Eswatini"),
    country("TC", "Turks and Caicos Islands"),
    country("TD", "Chad"),
    country("TF", "French Southern Territories"),
    country("TG", "Togo"),
    country("TH", "Thailand"),
    country("TJ", "Tajikistan"),
    country("TK", "Tokelau"),
    country("TL", "Timor-Leste"),
    country("TM", "Turkmenistan"),
    country("TN", "Tunisia"),
    country("TO", "Tonga"),
    country("TR", "Türkiye"),
    country("TT", "Trinidad and Tobago"),
    country("TV", "Tuvalu"),
    country("TW", "Taiwan, Province of China"),
    country("TZ", "Tanzania, United Republic of"),
    country("UA", "Ukraine"),
    country("UG", "Uganda"),
    country("UM", "United States Minor Outlying Islands"),
    country("US", "United States"),
    country("UY", "Uruguay"),
    country("UZ", "Uzbekistan"),
    country("VA", "Holy See (Vatican City State)"),
    country("VC", "Saint Vincent and the Grenadines"),
    country("VE", "Venezuela, Bolivarian Republic of"),
    country("VG", "Virgin Islands, British"),
    country("VI", "Virgin Islands, U.S."),
    country("VN", "Viet Nam"),
    country("VU", "Vanuatu"),
    country("WF", "Wallis and Futuna"),
    country("WS", "Samoa"),
    country("YE", "Yemen"),
    country("YT", "Mayotte"),
    country("ZA", "South Africa"),
    country("ZM", "Zambia"),
    country("ZW", "Zimbabwe"),
];

/// Other names accepted for a country: `(alias, alpha-2 code)`, lowercase.
///
/// Matched after the same normalisation as the names (see [`normalize`]).
const ALIASES: &[(&str, &str)] = &[
    ("united states of america", "US"),
    ("usa", "US"),
    ("uk", "GB"),
    ("great britain", "GB"),
    ("britain", "GB"),
    ("england", "GB"),
    ("scotland", "GB"),
    ("wales", "GB"),
    ("northern ireland", "GB"),
    ("the netherlands", "NL"),
    ("holland", "NL"),
    ("nederland", "NL"),
    ("deutschland", "DE"),
    ("russia", "RU"),
    ("south korea", "KR"),
    ("republic of korea", "KR"),
    ("north korea", "KP"),
    ("dprk", "KP"),
    ("czech republic", "CZ"),
    ("vietnam", "VN"),
    ("iran", "IR"),
    ("syria", "SY"),
    ("bolivia", "BO"),
    ("venezuela", "VE"),
    ("tanzania", "TZ"),
    ("laos", "LA"),
    ("lao pdr", "LA"),
    ("moldova", "MD"),
    ("taiwan", "TW"),
    ("macedonia", "MK"),
    ("turkey", "TR"),
    ("ivory coast", "CI"),
    ("cape verde", "CV"),
    ("swaziland", "SZ"),
    ("burma", "MM"),
    ("east timor", "TL"),
    ("vatican", "VA"),
    ("vatican city", "VA"),
    ("vatican city state", "VA"),
    ("holy see", "VA"),
    ("brunei", "BN"),
    ("micronesia", "FM"),
    ("palestine", "PS"),
    ("macau", "MO"),
    ("falkland islands", "FK"),
    ("democratic republic of the congo", "CD"),
    ("dr congo", "CD"),
    ("drc", "CD"),
    ("congo-kinshasa", "CD"),
    ("republic of the congo", "CG"),
    ("congo-brazzaville", "CG"),
    ("saint kitts", "KN"),
    ("st kitts", "KN"),
    ("st kitts and nevis", "KN"),
    ("st lucia", "LC"),
    ("saint vincent", "VC"),
    ("st vincent", "VC"),
    ("st vincent and the grenadines", "VC"),
    ("saint helena", "SH"),
    ("st helena", "SH"),
    ("st pierre and miquelon", "PM"),
    ("saint martin", "MF"),
    ("st martin", "MF"),
    ("st barthelemy", "BL"),
    ("st barts", "BL"),
    ("st barths", "BL"),
    ("sint maarten", "SX"),
    ("st maarten", "SX"),
    ("caribbean netherlands", "BQ"),
    ("bonaire", "BQ"),
    ("sint eustatius", "BQ"),
    ("saba", "BQ"),
    ("bosnia", "BA"),
    ("bosnia-herzegovina", "BA"),
    ("uae", "AE"),
    ("pitcairn islands", "PN"),
    ("cocos islands", "CC"),
    ("keeling islands", "CC"),
    ("us virgin islands", "VI"),
    ("united states virgin islands", "VI"),
    ("british virgin islands", "VG"),
    ("us minor outlying islands", "UM"),
    ("svalbard", "SJ"),
    ("aland", "AX"),
    ("republic of ireland", "IE"),
    ("eire", "IE"),
    ("french southern and antarctic lands", "TF"),
    ("heard and mcdonald islands", "HM"),
    ("south georgia", "GS"),
    ("principality of andorra", "AD"),
    ("islamic republic of afghanistan", "AF"),
    ("republic of albania", "AL"),
    ("republic of armenia", "AM"),
    ("republic of angola", "AO"),
    ("argentine republic", "AR"),
    ("republic of austria", "AT"),
    ("republic of azerbaijan", "AZ"),
    ("republic of bosnia and herzegovina", "BA"),
    ("people's republic of bangladesh", "BD"),
    ("kingdom of belgium", "BE"),
    ("republic of bulgaria", "BG"),
    ("kingdom of bahrain", "BH"),
    ("republic of burundi", "BI"),
    ("republic of benin", "BJ"),
    ("plurinational state of bolivia", "BO"),
    ("federative republic of brazil", "BR"),
    ("commonwealth of the bahamas", "BS"),
    ("kingdom of bhutan", "BT"),
    ("republic of botswana", "BW"),
    ("republic of belarus", "BY"),
    ("swiss confederation", "CH"),
    ("republic of côte d'ivoire", "CI"),
    ("republic of chile", "CL"),
    ("republic of cameroon", "CM"),
    ("people's republic of china", "CN"),
    ("republic of colombia", "CO"),
    ("republic of costa rica", "CR"),
    ("republic of cuba", "CU"),
    ("republic of cabo verde", "CV"),
    ("republic of cyprus", "CY"),
    ("federal republic of germany", "DE"),
    ("republic of djibouti", "DJ"),
    ("kingdom of denmark", "DK"),
    ("commonwealth of dominica", "DM"),
    ("people's democratic republic of algeria", "DZ"),
    ("republic of ecuador", "EC"),
    ("republic of estonia", "EE"),
    ("arab republic of egypt", "EG"),
    ("state of eritrea", "ER"),
    ("kingdom of spain", "ES"),
    ("federal democratic republic of ethiopia", "ET"),
    ("republic of finland", "FI"),
    ("republic of fiji", "FJ"),
    ("federated states of micronesia", "FM"),
    ("french republic", "FR"),
    ("gabonese republic", "GA"),
    ("united kingdom of great britain and northern ireland", "GB"),
    ("republic of ghana", "GH"),
    ("republic of the gambia", "GM"),
    ("republic of guinea", "GN"),
    ("republic of equatorial guinea", "GQ"),
    ("hellenic republic", "GR"),
    ("republic of guatemala", "GT"),
    ("republic of guinea-bissau", "GW"),
    ("republic of guyana", "GY"),
    ("hong kong special administrative region of china", "HK"),
    ("republic of honduras", "HN"),
    ("republic of croatia", "HR"),
    ("republic of haiti", "HT"),
    ("republic of indonesia", "ID"),
    ("state of israel", "IL"),
    ("republic of india", "IN"),
    ("republic of iraq", "IQ"),
    ("islamic republic of iran", "IR"),
    ("republic of iceland", "IS"),
    ("italian republic", "IT"),
    ("hashemite kingdom of jordan", "JO"),
    ("republic of kenya", "KE"),
    ("kyrgyz republic", "KG"),
    ("kingdom of cambodia", "KH"),
    ("republic of kiribati", "KI"),
    ("union of the comoros", "KM"),
    ("democratic people's republic of korea", "KP"),
    ("state of kuwait", "KW"),
    ("republic of kazakhstan", "KZ"),
    ("lebanese republic", "LB"),
    ("principality of liechtenstein", "LI"),
    ("democratic socialist republic of sri lanka", "LK"),
    ("republic of liberia", "LR"),
    ("kingdom of lesotho", "LS"),
    ("republic of lithuania", "LT"),
    ("grand duchy of luxembourg", "LU"),
    ("republic of latvia", "LV"),
    ("kingdom of morocco", "MA"),
    ("principality of monaco", "MC"),
    ("republic of moldova", "MD"),
    ("republic of madagascar", "MG"),
    ("republic of the marshall islands", "MH"),
    ("republic of north macedonia", "MK"),
    ("republic of mali", "ML"),
    ("republic of myanmar", "MM"),
    ("macao special administrative region of china", "MO"),
    ("commonwealth of the northern mariana islands", "MP"),
    ("islamic republic of mauritania", "MR"),
    ("republic of malta", "MT"),
    ("republic of mauritius", "MU"),
    ("republic of maldives", "MV"),
    ("republic of malawi", "MW"),
    ("united mexican states", "MX"),
    ("republic of mozambique", "MZ"),
    ("republic of namibia", "NA"),
    ("republic of the niger", "NE"),
    ("federal republic of nigeria", "NG"),
    ("republic of nicaragua", "NI"),
    ("kingdom of the netherlands", "NL"),
    ("kingdom of norway", "NO"),
    ("federal democratic republic of nepal", "NP"),
    ("republic of nauru", "NR"),
    ("sultanate of oman", "OM"),
    ("republic of panama", "PA"),
    ("republic of peru", "PE"),
    ("independent state of papua new guinea", "PG"),
    ("republic of the philippines", "PH"),
    ("islamic republic of pakistan", "PK"),
    ("republic of poland", "PL"),
    ("state of palestine", "PS"),
    ("portuguese republic", "PT"),
    ("republic of palau", "PW"),
    ("republic of paraguay", "PY"),
    ("state of qatar", "QA"),
    ("republic of serbia", "RS"),
    ("rwandese republic", "RW"),
    ("kingdom of saudi arabia", "SA"),
    ("republic of seychelles", "SC"),
    ("republic of the sudan", "SD"),
    ("kingdom of sweden", "SE"),
    ("republic of singapore", "SG"),
    ("republic of slovenia", "SI"),
    ("slovak republic", "SK"),
    ("republic of sierra leone", "SL"),
    ("republic of san marino", "SM"),
    ("republic of senegal", "SN"),
    ("federal republic of somalia", "SO"),
    ("republic of suriname", "SR"),
    ("republic of south sudan", "SS"),
    ("democratic republic of sao tome and principe", "ST"),
    ("republic of el salvador", "SV"),
    ("kingdom of eswatini", "SZ"),
    ("republic of chad", "TD"),
    ("togolese republic", "TG"),
    ("kingdom of thailand", "TH"),
    ("republic of tajikistan", "TJ"),
    ("democratic republic of timor-leste", "TL"),
    ("republic of tunisia", "TN"),
    ("kingdom of tonga", "TO"),
    ("republic of türkiye", "TR"),
    ("republic of trinidad and tobago", "TT"),
    ("united republic of tanzania", "TZ"),
    ("republic of uganda", "UG"),
    ("eastern republic of uruguay", "UY"),
    ("republic of uzbekistan", "UZ"),
    ("bolivarian republic of venezuela", "VE"),
    ("virgin islands of the united states", "VI"),
    ("socialist republic of viet nam", "VN"),
    ("republic of vanuatu", "VU"),
    ("independent state of samoa", "WS"),
    ("republic of yemen", "YE"),
    ("republic of south africa", "ZA"),
    ("republic of zambia", "ZM"),
    ("republic of zimbabwe", "ZW"),
];

/// The countries whose addresses require a subdivision, with their tables.
const SUBDIVISION_TABLES: &[(&str, &[Subdivision])] = &[
    ("US", US_SUBDIVISIONS),
    ("CA", CA_SUBDIVISIONS),
    ("NL", NL_SUBDIVISIONS),
    ("IT", IT_SUBDIVISIONS),
    ("DE", DE_SUBDIVISIONS),
];

/// ISO 3166-2:US: the 50 states, the District of Columbia and the outlying
/// areas.
const US_SUBDIVISIONS: &[Subdivision] = &[
    subdivision("AK", "Alaska"),
    subdivision("AL", "Alabama"),
    subdivision("AR", "Arkansas"),
    subdivision("AS", "American Samoa"),
    subdivision("AZ", "Arizona"),
    subdivision("CA", "California"),
    subdivision("CO", "Colorado"),
    subdivision("CT", "Connecticut"),
    subdivision("DC", "District of Columbia"),
    subdivision("DE", "Delaware"),
    subdivision("FL", "Florida"),
    subdivision("GA", "Georgia"),
    subdivision("GU", "Guam"),
    subdivision("HI", "Hawaii"),
    subdivision("IA", "Iowa"),
    subdivision("ID", "Idaho"),
    subdivision("IL", "Illinois"),
    subdivision("IN", "Indiana"),
    subdivision("KS", "Kansas"),
    subdivision("KY", "Kentucky"),
    subdivision("LA", "Louisiana"),
    subdivision("MA", "Massachusetts"),
    subdivision("MD", "Maryland"),
    subdivision("ME", "Maine"),
    subdivision("MI", "Michigan"),
    subdivision("MN", "Minnesota"),
    subdivision("MO", "Missouri"),
    subdivision("MP", "Northern Mariana Islands"),
    subdivision("MS", "Mississippi"),
    subdivision("MT", "Montana"),
    subdivision("NC", "North Carolina"),
    subdivision("ND", "North Dakota"),
    subdivision("NE", "Nebraska"),
    subdivision("NH", "New Hampshire"),
    subdivision("NJ", "New Jersey"),
    subdivision("NM", "New Mexico"),
    subdivision("NV", "Nevada"),
    subdivision("NY", "New York"),
    subdivision("OH", "Ohio"),
    subdivision("OK", "Oklahoma"),
    subdivision("OR", "Oregon"),
    subdivision("PA", "Pennsylvania"),
    subdivision("PR", "Puerto Rico"),
    subdivision("RI", "Rhode Island"),
    subdivision("SC", "South Carolina"),
    subdivision("SD", "South Dakota"),
    subdivision("TN", "Tennessee"),
    subdivision("TX", "Texas"),
    subdivision("UM", "United States Minor Outlying Islands"),
    subdivision("UT", "Utah"),
    subdivision("VA", "Virginia"),
    subdivision("VI", "Virgin Islands, U.S."),
    subdivision("VT", "Vermont"),
    subdivision("WA", "Washington"),
    subdivision("WI", "Wisconsin"),
    subdivision("WV", "West Virginia"),
    subdivision("WY", "Wyoming"),
];

/// ISO 3166-2:CA: the 10 provinces and 3 territories.
const CA_SUBDIVISIONS: &[Subdivision] = &[
    subdivision("AB", "Alberta"),
    subdivision("BC", "British Columbia"),
    subdivision("MB", "Manitoba"),
    subdivision("NB", "New Brunswick"),
    subdivision("NL", "Newfoundland and Labrador"),
    subdivision("NS", "Nova Scotia"),
    subdivision("NT", "Northwest Territories"),
    subdivision("NU", "Nunavut"),
    subdivision("ON", "Ontario"),
    subdivision("PE", "Prince Edward Island"),
    subdivision("QC", "Quebec"),
    subdivision("SK", "Saskatchewan"),
    subdivision("YT", "Yukon"),
];

/// ISO 3166-2:NL: the 12 provinces, the countries Aruba, Curaçao and Sint
/// Maarten, and the special municipalities Bonaire, Saba and Sint Eustatius.
const NL_SUBDIVISIONS: &[Subdivision] = &[
    subdivision("AW", "Aruba"),
    subdivision("BQ1", "Bonaire"),
    subdivision("BQ2", "Saba"),
    subdivision("BQ3", "Sint Eustatius"),
    subdivision("CW", "Curaçao"),
    subdivision("DR", "Drenthe"),
    subdivision("FL", "Flevoland"),
    subdivision("FR", "Fryslân"),
    subdivision("GE", "Gelderland"),
    subdivision("GR", "Groningen"),
    subdivision("LI", "Limburg"),
    subdivision("NB", "Noord-Brabant"),
    subdivision("NH", "Noord-Holland"),
    subdivision("OV", "Overijssel"),
    subdivision("SX", "Sint Maarten"),
    subdivision("UT", "Utrecht"),
    subdivision("ZE", "Zeeland"),
    subdivision("ZH", "Zuid-Holland"),
];

/// ISO 3166-2:IT two-letter codes: provinces, metropolitan cities, free
/// municipal consortia (Sicily), decentralized regional entities (Friuli
/// Venezia Giulia) and autonomous provinces (Trentino-Alto Adige), plus "AO".
const IT_SUBDIVISIONS: &[Subdivision] = &[
    subdivision("AG", "Agrigento"),
    subdivision("AL", "Alessandria"),
    subdivision("AN", "Ancona"),
    // Not an ISO 3166-2 code: ISO codes the Valle d'Aosta only as the region IT-23.
    // "AO" is the sigla Italian addresses use there (the region acts as the province).
    subdivision("AO", "Aosta"),
    subdivision("AP", "Ascoli Piceno"),
    subdivision("AQ", "L'Aquila"),
    subdivision("AR", "Arezzo"),
    subdivision("AT", "Asti"),
    subdivision("AV", "Avellino"),
    subdivision("BA", "Bari"),
    subdivision("BG", "Bergamo"),
    subdivision("BI", "Biella"),
    subdivision("BL", "Belluno"),
    subdivision("BN", "Benevento"),
    subdivision("BO", "Bologna"),
    subdivision("BR", "Brindisi"),
    subdivision("BS", "Brescia"),
    subdivision("BT", "Barletta-Andria-Trani"),
    subdivision("BZ", "Bolzano"),
    subdivision("CA", "Cagliari"),
    subdivision("CB", "Campobasso"),
    subdivision("CE", "Caserta"),
    subdivision("CH", "Chieti"),
    subdivision("CL", "Caltanissetta"),
    subdivision("CN", "Cuneo"),
    subdivision("CO", "Como"),
    subdivision("CR", "Cremona"),
    subdivision("CS", "Cosenza"),
    subdivision("CT", "Catania"),
    subdivision("CZ", "Catanzaro"),
    subdivision("EN", "Enna"),
    subdivision("FC", "Forlì-Cesena"),
    subdivision("FE", "Ferrara"),
    subdivision("FG", "Foggia"),
    subdivision("FI", "Firenze"),
    subdivision("FM", "Fermo"),
    subdivision("FR", "Frosinone"),
    subdivision("GE", "Genova"),
    subdivision("GO", "Gorizia"),
    subdivision("GR", "Grosseto"),
    subdivision("IM", "Imperia"),
    subdivision("IS", "Isernia"),
    subdivision("KR", "Crotone"),
    subdivision("LC", "Lecco"),
    subdivision("LE", "Lecce"),
    subdivision("LI", "Livorno"),
    subdivision("LO", "Lodi"),
    subdivision("LT", "Latina"),
    subdivision("LU", "Lucca"),
    subdivision("MB", "Monza e Brianza"),
    subdivision("MC", "Macerata"),
    subdivision("ME", "Messina"),
    subdivision("MI", "Milano"),
    subdivision("MN", "Mantova"),
    subdivision("MO", "Modena"),
    subdivision("MS", "Massa-Carrara"),
    subdivision("MT", "Matera"),
    subdivision("NA", "Napoli"),
    subdivision("NO", "Novara"),
    subdivision("NU", "Nuoro"),
    subdivision("OR", "Oristano"),
    subdivision("PA", "Palermo"),
    subdivision("PC", "Piacenza"),
    subdivision("PD", "Padova"),
    subdivision("PE", "Pescara"),
    subdivision("PG", "Perugia"),
    subdivision("PI", "Pisa"),
    subdivision("PN", "Pordenone"),
    subdivision("PO", "Prato"),
    subdivision("PR", "Parma"),
    subdivision("PT", "Pistoia"),
    subdivision("PU", "Pesaro e Urbino"),
    subdivision("PV", "Pavia"),
    subdivision("PZ", "Potenza"),
    subdivision("RA", "Ravenna"),
    subdivision("RC", "Reggio Calabria"),
    subdivision("RE", "Reggio Emilia"),
    subdivision("RG", "Ragusa"),
    subdivision("RI", "Rieti"),
    subdivision("RM", "Roma"),
    subdivision("RN", "Rimini"),
    subdivision("RO", "Rovigo"),
    subdivision("SA", "Salerno"),
    subdivision("SI", "Siena"),
    subdivision("SO", "Sondrio"),
    subdivision("SP", "La Spezia"),
    subdivision("SR", "Siracusa"),
    subdivision("SS", "Sassari"),
    subdivision("SU", "Sud Sardegna"),
    subdivision("SV", "Savona"),
    subdivision("TA", "Taranto"),
    subdivision("TE", "Teramo"),
    subdivision("TN", "Trento"),
    subdivision("TO", "Torino"),
    subdivision("TP", "Trapani"),
    subdivision("TR", "Terni"),
    subdivision("TS", "Trieste"),
    subdivision("TV", "Treviso"),
    subdivision("UD", "Udine"),
    subdivision("VA", "Varese"),
    subdivision("VB", "Verbano-Cusio-Ossola"),
    subdivision("VC", "Vercelli"),
    subdivision("VE", "Venezia"),
    subdivision("VI", "Vicenza"),
    subdivision("VR", "Verona"),
    subdivision("VT", "Viterbo"),
    subdivision("VV", "Vibo Valentia"),
];

/// ISO 3166-2:DE: the 16 Länder.
const DE_SUBDIVISIONS: &[Subdivision] = &[
    subdivision("BB", "Brandenburg"),
    subdivision("BE", "Berlin"),
    subdivision("BW", "Baden-Württemberg"),
    subdivision("BY", "Bayern"),
    subdivision("HB", "Bremen"),
    subdivision("HE", "Hessen"),
    subdivision("HH", "Hamburg"),
    subdivision("MV", "Mecklenburg-Vorpommern"),
    subdivision("NI", "Niedersachsen"),
    subdivision("NW", "Nordrhein-Westfalen"),
    subdivision("RP", "Rheinland-Pfalz"),
    subdivision("SH", "Schleswig-Holstein"),
    subdivision("SL", "Saarland"),
    subdivision("SN", "Sachsen"),
    subdivision("ST", "Sachsen-Anhalt"),
    subdivision("TH", "Thüringen"),
];

/// Other names accepted for a subdivision: `(country, alias, code)`,
/// lowercase; matched after the same normalisation as the names.
const SUBDIVISION_ALIASES: &[(&str, &str, &str)] = &[
    ("US", "washington dc", "DC"),
    ("US", "washington state", "WA"),
    ("US", "us virgin islands", "VI"),
    ("US", "united states virgin islands", "VI"),
    ("US", "virgin islands", "VI"),
    ("US", "us minor outlying islands", "UM"),
    ("US", "northern marianas", "MP"),
    ("CA", "colombie-britannique", "BC"),
    ("CA", "nouveau-brunswick", "NB"),
    ("CA", "terre-neuve-et-labrador", "NL"),
    ("CA", "newfoundland", "NL"),
    ("CA", "nf", "NL"),
    ("CA", "nouvelle-écosse", "NS"),
    ("CA", "territoires du nord-ouest", "NT"),
    ("CA", "nwt", "NT"),
    ("CA", "île-du-prince-édouard", "PE"),
    ("CA", "pei", "PE"),
    ("CA", "pq", "QC"),
    ("CA", "yukon territory", "YT"),
    ("NL", "friesland", "FR"),
    ("NL", "north brabant", "NB"),
    ("NL", "north holland", "NH"),
    ("NL", "south holland", "ZH"),
    ("NL", "st maarten", "SX"),
    ("IT", "rome", "RM"),
    ("IT", "milan", "MI"),
    ("IT", "turin", "TO"),
    ("IT", "naples", "NA"),
    ("IT", "florence", "FI"),
    ("IT", "venice", "VE"),
    ("IT", "genoa", "GE"),
    ("IT", "padua", "PD"),
    ("IT", "mantua", "MN"),
    ("IT", "syracuse", "SR"),
    ("IT", "bozen", "BZ"),
    ("IT", "bolzano-bozen", "BZ"),
    ("IT", "south tyrol", "BZ"),
    ("IT", "südtirol", "BZ"),
    ("IT", "alto adige", "BZ"),
    ("IT", "monza and brianza", "MB"),
    ("IT", "monza brianza", "MB"),
    ("IT", "pesaro and urbino", "PU"),
    ("IT", "pesaro-urbino", "PU"),
    ("IT", "reggio di calabria", "RC"),
    ("IT", "reggio nell'emilia", "RE"),
    ("IT", "south sardinia", "SU"),
    ("IT", "valle d'aosta", "AO"),
    ("IT", "aosta valley", "AO"),
    ("IT", "vallée d'aoste", "AO"),
    ("IT", "val d'aoste", "AO"),
    ("DE", "baden-wuerttemberg", "BW"),
    ("DE", "bavaria", "BY"),
    ("DE", "hesse", "HE"),
    ("DE", "mecklenburg-western pomerania", "MV"),
    ("DE", "lower saxony", "NI"),
    ("DE", "north rhine-westphalia", "NW"),
    ("DE", "nrw", "NW"),
    ("DE", "rhineland-palatinate", "RP"),
    ("DE", "saxony", "SN"),
    ("DE", "saxony-anhalt", "ST"),
    ("DE", "thuringia", "TH"),
    ("DE", "thueringen", "TH"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn country_code(input: &str) -> Option<&'static str> {
        find_country(input).map(|c| c.code)
    }

    fn subdivision_code(country: &str, input: &str) -> Option<&'static str> {
        find_subdivision(country, input).map(|s| s.code)
    }

    #[test]
    fn united_states_by_name_code_and_alias() {
        for input in [
            "United States",
            "united states",
            "US",
            " us ",
            "USA",
            "U.S.A.",
            "United States of America",
            "the United States",
        ] {
            assert_eq!(country_code(input), Some("US"), "{input:?}");
        }
        assert_eq!(find_country("us").map(|c| c.name), Some("United States"));
    }

    #[test]
    fn california_by_name_and_code() {
        for input in ["California", "california", " CA ", "ca", "US-CA", "us-ca"] {
            assert_eq!(subdivision_code("US", input), Some("CA"), "{input:?}");
        }
        assert_eq!(
            find_subdivision("us", "CA").map(|s| s.name),
            Some("California")
        );
    }

    #[test]
    fn state_is_required_in_the_netherlands() {
        assert!(state_required("NL"));
        assert!(state_required(" nl "));
        assert_eq!(subdivision_code("NL", "Noord-Holland"), Some("NH"));
        assert_eq!(subdivision_code("NL", "North Holland"), Some("NH"));
        assert_eq!(subdivision_code("NL", "NL-ZH"), Some("ZH"));
        assert_eq!(subdivision_code("NL", "Friesland"), Some("FR"));
        assert_eq!(subdivision_code("NL", "Fryslan"), Some("FR"));
        assert_eq!(subdivision_code("NL", "BQ2"), Some("BQ2"));
    }

    #[test]
    fn state_is_required_in_the_five_listed_countries_only() {
        for code in ["US", "CA", "NL", "IT", "DE"] {
            assert!(state_required(code), "{code}");
        }
        let required = COUNTRIES.iter().filter(|c| state_required(c.code)).count();
        assert_eq!(required, 5);
    }

    #[test]
    fn state_is_not_required_in_france() {
        assert!(!state_required("FR"));
        assert_eq!(find_subdivision("FR", "IDF"), None);
        assert_eq!(find_subdivision("FR", "Île-de-France"), None);
    }

    #[test]
    fn unknown_country_is_none() {
        for input in ["Atlantis", "XX", "", "   ", "U", "Korea", "the"] {
            assert_eq!(find_country(input), None, "{input:?}");
        }
    }

    #[test]
    fn unknown_subdivision_is_none() {
        assert_eq!(find_subdivision("US", "Ontario"), None);
        assert_eq!(find_subdivision("US", ""), None);
        assert_eq!(find_subdivision("DE", "XX"), None);
    }

    #[test]
    fn prefixed_code_must_name_the_same_country() {
        assert_eq!(subdivision_code("CA", "US-CA"), None);
        assert_eq!(subdivision_code("CA", "CA-ON"), Some("ON"));
    }

    #[test]
    fn bavaria_is_by() {
        for input in ["Bavaria", "bayern", "BY", "DE-BY"] {
            assert_eq!(subdivision_code("DE", input), Some("BY"), "{input:?}");
        }
    }

    #[test]
    fn german_laender_accept_english_names_and_transliterations() {
        for (input, code) in [
            ("Hesse", "HE"),
            ("Lower Saxony", "NI"),
            ("North Rhine-Westphalia", "NW"),
            ("North Rhine Westphalia", "NW"),
            ("NRW", "NW"),
            ("Rhineland-Palatinate", "RP"),
            ("Saxony", "SN"),
            ("Saxony-Anhalt", "ST"),
            ("Thuringia", "TH"),
            ("Thüringen", "TH"),
            ("Thueringen", "TH"),
            ("Thuringen", "TH"),
            ("Baden-Württemberg", "BW"),
            ("Baden-Wuerttemberg", "BW"),
            ("Mecklenburg-Vorpommern", "MV"),
        ] {
            assert_eq!(subdivision_code("DE", input), Some(code), "{input:?}");
        }
    }

    #[test]
    fn rome_is_rm() {
        for input in ["Rome", "Roma", "RM", "rm", "IT-RM"] {
            assert_eq!(subdivision_code("IT", input), Some("RM"), "{input:?}");
        }
        assert_eq!(find_subdivision("IT", "Rome").map(|s| s.name), Some("Roma"));
    }

    #[test]
    fn english_city_names_find_italian_provinces() {
        for (input, code) in [
            ("Milan", "MI"),
            ("Turin", "TO"),
            ("Naples", "NA"),
            ("Florence", "FI"),
            ("Venice", "VE"),
            ("Genoa", "GE"),
            ("Milano", "MI"),
            ("Forli-Cesena", "FC"),
            ("L'Aquila", "AQ"),
            ("Aosta", "AO"),
        ] {
            assert_eq!(subdivision_code("IT", input), Some(code), "{input:?}");
        }
    }

    #[test]
    fn common_country_names_are_aliases() {
        for (input, code) in [
            ("united states of america", "US"),
            ("usa", "US"),
            ("uk", "GB"),
            ("United Kingdom", "GB"),
            ("great britain", "GB"),
            ("Netherlands", "NL"),
            ("the netherlands", "NL"),
            ("holland", "NL"),
            ("Germany", "DE"),
            ("deutschland", "DE"),
            ("Italy", "IT"),
            ("Canada", "CA"),
            ("russia", "RU"),
            ("south korea", "KR"),
            ("north korea", "KP"),
            ("czech republic", "CZ"),
            ("vietnam", "VN"),
            ("iran", "IR"),
            ("syria", "SY"),
            ("bolivia", "BO"),
            ("venezuela", "VE"),
            ("tanzania", "TZ"),
            ("laos", "LA"),
            ("moldova", "MD"),
            ("taiwan", "TW"),
            ("macedonia", "MK"),
            ("The Gambia", "GM"),
        ] {
            assert_eq!(country_code(input), Some(code), "{input:?}");
        }
    }

    #[test]
    fn accents_and_punctuation_are_ignored() {
        assert_eq!(country_code("Côte d'Ivoire"), Some("CI"));
        assert_eq!(country_code("Cote d’Ivoire"), Some("CI"));
        assert_eq!(country_code("Turkiye"), Some("TR"));
        assert_eq!(country_code("Aland Islands"), Some("AX"));
        assert_eq!(country_code("Korea, Republic of"), Some("KR"));
        assert_eq!(country_code("Cocos Keeling Islands"), Some("CC"));
        assert_eq!(subdivision_code("US", "Washington, D.C."), Some("DC"));
        assert_eq!(subdivision_code("US", "N.Y."), Some("NY"));
        assert_eq!(subdivision_code("CA", "Québec"), Some("QC"));
        assert_eq!(subdivision_code("CA", "Quebec"), Some("QC"));
    }

    #[test]
    fn table_has_249_countries_with_unique_codes() {
        assert_eq!(COUNTRIES.len(), 249);
        let mut codes = HashSet::new();
        let mut names = HashSet::new();
        for c in COUNTRIES {
            assert!(
                c.code.len() == 2 && c.code.bytes().all(|b| b.is_ascii_uppercase()),
                "{}",
                c.code
            );
            assert!(codes.insert(c.code), "duplicate code {}", c.code);
            assert!(names.insert(normalize(c.name)), "duplicate name {}", c.name);
        }
    }

    #[test]
    fn country_aliases_name_listed_codes_without_clashing() {
        let mut keys = HashSet::new();
        for (alias, code) in ALIASES {
            assert_eq!(*alias, alias.to_lowercase(), "alias not lowercase");
            let key = normalize(alias);
            assert!(keys.insert(key.clone()), "duplicate alias {alias}");
            assert!(
                COUNTRIES.iter().any(|c| c.code == *code),
                "{alias} -> unknown {code}"
            );
            assert_eq!(country_code(alias), Some(*code), "{alias} is shadowed");
        }
    }

    #[test]
    fn subdivision_codes_are_unique_per_country() {
        for (country, table) in SUBDIVISION_TABLES {
            let mut codes = HashSet::new();
            let mut names = HashSet::new();
            for s in *table {
                assert!(
                    s.code
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
                    "{country}-{}",
                    s.code
                );
                assert!(codes.insert(s.code), "duplicate {country}-{}", s.code);
                assert!(names.insert(normalize(s.name)), "duplicate {}", s.name);
            }
        }
    }

    #[test]
    fn subdivision_tables_have_the_expected_sizes() {
        let sizes: Vec<(&str, usize)> = SUBDIVISION_TABLES
            .iter()
            .map(|(country, table)| (*country, table.len()))
            .collect();
        assert_eq!(
            sizes,
            [("US", 57), ("CA", 13), ("NL", 18), ("IT", 107), ("DE", 16)]
        );
    }

    #[test]
    fn subdivision_aliases_name_listed_codes_without_clashing() {
        let mut keys = HashSet::new();
        for (country, alias, code) in SUBDIVISION_ALIASES {
            assert_eq!(*alias, alias.to_lowercase(), "alias not lowercase");
            assert!(
                keys.insert((*country, normalize(alias))),
                "duplicate alias {alias}"
            );
            assert!(state_required(country), "{country} has no table");
            assert_eq!(
                subdivision_code(country, alias),
                Some(*code),
                "{country} {alias} is shadowed or unknown"
            );
        }
    }
}
