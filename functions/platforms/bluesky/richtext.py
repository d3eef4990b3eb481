"""Bluesky rich text: length counted the network's way, and facets.

A post's text is limited to 300 graphemes and 3,000 UTF-8 bytes (lexicon
app.bsky.feed.post). Links, mentions and hashtags are not markup in the text:
they are facets (app.bsky.richtext.facet) that point at a range of the text by
UTF-8 byte offsets, start inclusive, end exclusive.

Detection follows the reference client, @atproto/api's RichText
(packages/api/src/rich-text/detection.ts and util.ts), so a post reads as it
would have if typed in the Bluesky app:

- links: http(s):// URLs, and bare domains ("example.com", "www.example.com/a")
  whose top-level domain is on the reference's list (the npm package `tlds`,
  held here as _TLDS), linked as https://;
- mentions: "@handle" where the handle ends in a listed TLD (or .test), kept
  only when the handle resolves to a DID (the app drops unresolved ones too);
- hashtags: "#tag" of at most 64 graphemes and 640 bytes (the lexicon's
  app.bsky.richtext.facet#tag), and cashtags ("$AAPL"), which the reference
  makes tag facets of, upper-cased and with their "$";
- whitespace is JavaScript's \\s, spelled out (_WS): it includes U+FEFF and
  excludes U+0085 and U+001C-001F, unlike Python's.

Where postr knowingly differs from the reference (its facet would be refused by
the lexicon, or its behaviour is plainly unintended), the cases and reasons are
listed in one place, the divergences in tests/platforms/test_text_differential.py,
which runs the reference library on a corpus and checks that the rest agrees.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import regex

MAX_GRAPHEMES = 300
MAX_BYTES = 3000
# app.bsky.richtext.facet#tag: "tag" has maxGraphemes 64 and maxLength 640 (bytes).
# The reference client checks only the graphemes; a tag longer in bytes would
# make a record the lexicon refuses, so here it stays plain text.
TAG_MAX_GRAPHEMES = 64
TAG_MAX_BYTES = 640

_GRAPHEME = regex.compile(r"\X")

# JavaScript's \s (ECMA-262 WhiteSpace and LineTerminator: category Zs, TAB, VT,
# FF, U+FEFF, LF, CR, U+2028, U+2029) as a character-class body. The reference's
# patterns are written with \s and \S, and Python's \s is another set.
_WS = r"\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_BEFORE = rf"(^|[{_WS}]|\()"  # what may come just before a mention, link or cashtag

# The reference client's patterns, rewritten where Python would read them
# differently. Its \b (no u flag) is ASCII-only, hence (?a:\b). Its /i (no u
# flag) never folds a non-ASCII letter onto ASCII, while Python's IGNORECASE
# lets "ſ" match "s" and the Kelvin sign "k"; so both cases are spelled out.
_MENTION = regex.compile(rf"{_BEFORE}(@)([a-zA-Z0-9.-]+)(?a:\b)")
_URL = regex.compile(
    rf"{_BEFORE}([hH][tT][tT][pP][sS]?://[^{_WS}]+"
    rf"|(?P<domain>[a-zA-Z][a-zA-Z0-9]*(?:\.[a-zA-Z0-9]+)+)[^{_WS}]*)"
)
# Zero-width characters that end a tag (util.ts TAG_REGEX).
_INVISIBLE = r"\u00AD\u2060\u200A\u200B\u200C\u200D\u20e2"
# JavaScript's \d is [0-9] even under the u flag; Python's is every decimal digit.
_TAG = regex.compile(
    rf"(^|[{_WS}])[#＃]((?!\ufe0f)[^{_WS}{_INVISIBLE}]*[^0-9{_WS}\p{{P}}{_INVISIBLE}]+[^{_WS}{_INVISIBLE}]*)?"
)
# The reference's $ (no m flag) is the end of the text: \Z, as Python's $ also
# matches before a final newline.
_TRAILING_PUNCTUATION = regex.compile(r"\p{P}+\Z")
_CASHTAG = regex.compile(rf"{_BEFORE}\$([A-Za-z][A-Za-z0-9]{{0,4}})(?=[{_WS}]|\Z|[.,;:!?)\"'\u2019])")

# Handle syntax (atproto spec, "Handle"): DNS labels, the last not starting with a digit.
_HANDLE = regex.compile(
    r"^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$"
)
# Reserved TLDs that are never resolved (@atproto/syntax DISALLOWED_TLDS; ".test" is allowed for testing).
_DISALLOWED_TLDS = (".local", ".arpa", ".invalid", ".localhost", ".internal", ".example", ".onion", ".alt")

# The top-level domains the reference client knows: the ASCII entries of the npm
# package `tlds` 1.261.0 (pinned in package.json). Its other entries are IDN TLDs
# in Unicode, which the reference's patterns (ASCII letters and digits) never
# reach. test_text_differential checks this set against the installed package.
_TLDS = frozenset("""
    aaa aarp abb abbott abbvie abc able abogado abudhabi ac academy accenture accountant
    accountants aco actor ad ads adult ae aeg aero aetna af afl africa ag agakhan agency ai aig
    airbus airforce airtel akdn al alibaba alipay allfinanz allstate ally alsace alstom am
    amazon americanexpress americanfamily amex amfam amica amsterdam analytics android anquan
    anz ao aol apartments app apple aq aquarelle ar arab aramco archi army arpa art arte as
    asda asia associates at athleta attorney au auction audi audible audio auspost author auto
    autos aw aws ax axa az azure ba baby baidu banamex band bank bar barcelona barclaycard
    barclays barefoot bargains baseball basketball bauhaus bayern bb bbc bbt bbva bcg bcn bd be
    beats beauty beer berlin best bestbuy bet bf bg bh bharti bi bible bid bike bing bingo bio
    biz bj black blackfriday blockbuster blog bloomberg blue bm bms bmw bn bnpparibas bo boats
    boehringer bofa bom bond boo book booking bosch bostik boston bot boutique box br bradesco
    bridgestone broadway broker brother brussels bs bt build builders business buy buzz bv bw
    by bz bzh ca cab cafe cal call calvinklein cam camera camp canon capetown capital
    capitalone car caravan cards care career careers cars casa case cash casino cat catering
    catholic cba cbn cbre cc cd center ceo cern cf cfa cfd cg ch chanel channel charity chase
    chat cheap chintai christmas chrome church ci cipriani circle cisco citadel citi citic city
    ck cl claims cleaning click clinic clinique clothing cloud club clubmed cm cn co coach
    codes coffee college cologne com commbank community company compare computer comsec condos
    construction consulting contact contractors cooking cool coop corsica country coupon
    coupons courses cpa cr credit creditcard creditunion cricket crown crs cruise cruises cu
    cuisinella cv cw cx cy cymru cyou cz dad dance data date dating datsun day dclk dds de deal
    dealer deals degree delivery dell deloitte delta democrat dental dentist desi design dev
    dhl diamonds diet digital direct directory discount discover dish diy dj dk dm dnp do docs
    doctor dog domains dot download drive dtv dubai dupont durban dvag dvr dz earth eat ec eco
    edeka edu education ee eg email emerck energy engineer engineering enterprises epson
    equipment er ericsson erni es esq estate et eu eurovision eus events exchange expert
    exposed express extraspace fage fail fairwinds faith family fan fans farm farmers fashion
    fast fedex feedback ferrari ferrero fi fidelity fido film final finance financial fire
    firestone firmdale fish fishing fit fitness fj fk flickr flights flir florist flowers fly
    fm fo foo food football ford forex forsale forum foundation fox fr free fresenius frl
    frogans frontier ftr fujitsu fun fund furniture futbol fyi ga gal gallery gallo gallup game
    games gap garden gay gb gbiz gd gdn ge gea gent genting george gf gg ggee gh gi gift gifts
    gives giving gl glass gle global globo gm gmail gmbh gmo gmx gn godaddy gold goldpoint golf
    goo goodyear goog google gop got gov gp gq gr grainger graphics gratis green gripe grocery
    group gs gt gu gucci guge guide guitars guru gw gy hair hamburg hangout haus hbo hdfc
    hdfcbank health healthcare help helsinki here hermes hiphop hisamitsu hitachi hiv hk hkt hm
    hn hockey holdings holiday homedepot homegoods homes homesense honda horse hospital host
    hosting hot hotels hotmail house how hr hsbc ht hu hughes hyatt hyundai ibm icbc ice icu id
    ie ieee ifm ikano il im imamat imdb immo immobilien in inc industries infiniti info ing ink
    institute insurance insure int international intuit investments io ipiranga iq ir irish is
    ismaili ist istanbul it itau itv jaguar java jcb je jeep jetzt jewelry jio jll jm jmp jnj
    jo jobs joburg jot joy jp jpmorgan jprs juegos juniper kaufen kddi ke kerryhotels
    kerryproperties kfh kg kh ki kia kids kim kindle kitchen kiwi km kn koeln komatsu kosher kp
    kpmg kpn kr krd kred kuokgroup kw ky kyoto kz la lacaixa lamborghini lamer land landrover
    lanxess lasalle lat latino latrobe law lawyer lb lc lds lease leclerc lefrak legal lego
    lexus lgbt li lidl life lifeinsurance lifestyle lighting like lilly limited limo lincoln
    link live living lk llc llp loan loans locker locus lol london lotte lotto love lpl
    lplfinancial lr ls lt ltd ltda lu lundbeck luxe luxury lv ly ma madrid maif maison makeup
    man management mango map market marketing markets marriott marshalls mattel mba mc mckinsey
    md me med media meet melbourne meme memorial men menu merckmsd mg mh miami microsoft mil
    mini mint mit mitsubishi mk ml mlb mls mm mma mn mo mobi mobile moda moe moi mom monash
    money monster mormon mortgage moscow moto motorcycles mov movie mp mq mr ms msd mt mtn mtr
    mu museum music mv mw mx my mz na nab nagoya name navy nba nc ne nec net netbank netflix
    network neustar new news next nextdirect nexus nf nfl ng ngo nhk ni nico nike nikon ninja
    nissan nissay nl no nokia norton now nowruz nowtv np nr nra nrw ntt nu nyc nz obi observer
    office okinawa olayan olayangroup ollo om omega one ong onl online ooo open oracle orange
    org organic origins osaka otsuka ott ovh pa page panasonic paris pars partners parts party
    pay pccw pe pet pf pfizer pg ph pharmacy phd philips phone photo photography photos physio
    pics pictet pictures pid pin ping pink pioneer pizza pk pl place play playstation plumbing
    plus pm pn pnc pohl poker politie porn post pr praxi press prime pro prod productions prof
    progressive promo properties property protection pru prudential ps pt pub pw pwc py qa qpon
    quebec quest racing radio re read realestate realtor realty recipes red redumbrella rehab
    reise reisen reit reliance ren rent rentals repair report republican rest restaurant review
    reviews rexroth rich richardli ricoh ril rio rip ro rocks rodeo rogers room rs rsvp ru
    rugby ruhr run rw rwe ryukyu sa saarland safe safety sakura sale salon samsclub samsung
    sandvik sandvikcoromant sanofi sap sarl sas save saxo sb sbi sbs sc scb schaeffler schmidt
    scholarships school schule schwarz science scot sd se search seat secure security seek
    select sener services seven sew sex sexy sfr sg sh shangrila sharp shell shia shiksha shoes
    shop shopping shouji show si silk sina singles site sj sk ski skin sky skype sl sling sm
    smart smile sn sncf so soccer social softbank software sohu solar solutions song sony soy
    spa space sport spot sr srl ss st stada staples star statebank statefarm stc stcgroup
    stockholm storage store stream studio study style su sucks supplies supply support surf
    surgery suzuki sv swatch swiss sx sy sydney systems sz tab taipei talk taobao target
    tatamotors tatar tattoo tax taxi tc tci td tdk team tech technology tel temasek tennis teva
    tf tg th thd theater theatre tiaa tickets tienda tips tires tirol tj tjmaxx tjx tk tkmaxx
    tl tm tmall tn to today tokyo tools top toray toshiba total tours town toyota toys tr trade
    trading training travel travelers travelersinsurance trust trv tt tube tui tunes tushu tv
    tvs tw tz ua ubank ubs ug uk unicom university uno uol ups us uy uz va vacations vana
    vanguard vc ve vegas ventures verisign versicherung vet vg vi viajes video vig viking
    villas vin vip virgin visa vision viva vivo vlaanderen vn vodka volvo vote voting voto
    voyage vu wales walmart walter wang wanggou watch watches weather weatherchannel webcam
    weber website wed wedding weibo weir wf whoswho wien wiki williamhill win windows wine
    winners wme wolterskluwer woodside work works world wow ws wtc wtf xbox xerox xihuan xin
    xxx xyz yachts yahoo yamaxun yandex ye yodobashi yoga yokohama you youtube yt yun za zappos
    zara zero zip zm zone zuerich zw
""".split())


def graphemes(text: str) -> int:
    """User-perceived characters (extended grapheme clusters, UAX #29), as Bluesky counts."""
    return len(_GRAPHEME.findall(text))


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


@dataclass(frozen=True)
class Span:
    """One detected link, mention or hashtag: byte range and what it points at
    (a URL, a handle without '@', a tag without '#', a cashtag with its '$')."""

    kind: Literal["link", "mention", "tag"]
    byte_start: int
    byte_end: int
    value: str


def _span(kind, text: str, start: int, end: int, value: str) -> Span:
    """A span from code-point indexes into `text`."""
    byte_start = utf8_len(text[:start])
    return Span(kind, byte_start, byte_start + utf8_len(text[start:end]), value)


def is_handle(value: str) -> bool:
    return (len(value) <= 253 and bool(_HANDLE.match(value))
            and not value.lower().endswith(_DISALLOWED_TLDS))


def _listed_tld(domain: str) -> bool:
    """detection.ts isValidDomain: the last label is on the list, compared as
    written (the list is lower case, so "EXAMPLE.COM" is not linked)."""
    return "." in domain and domain.rsplit(".", 1)[1] in _TLDS


def _mentionable(handle: str) -> bool:
    # The reference compares the TLD case-sensitively too, but handles are
    # case-insensitive (atproto spec, "Handle") and a mention is kept only once
    # the handle resolves, so "@Bob.Bsky.Social" is a mention here.
    lower = handle.lower()
    return (lower.endswith(".test") or _listed_tld(lower)) and is_handle(handle)


def detect(text: str) -> list[Span]:
    """Every link, mention, hashtag and cashtag in `text`, in text order."""
    spans: list[Span] = []
    for m in _MENTION.finditer(text):
        handle = m.group(3)
        if not _mentionable(handle):
            continue  # not a handle ("@home", "@.", "@bob.notatld")
        spans.append(_span("mention", text, m.start(2), m.end(3), handle.lower()))
    for m in _URL.finditer(text):
        uri, start = m.group(2), m.start(2)
        end = start + len(uri)
        if m.group("domain") is not None:
            if not _listed_tld(m.group("domain")):
                continue
            uri = "https://" + uri
        # Trailing punctuation is the sentence's, not the URL's; one character, as the client does.
        if uri[-1] in ".,;:!?":
            uri, end = uri[:-1], end - 1
        if uri.endswith(")") and "(" not in uri:
            uri, end = uri[:-1], end - 1
        spans.append(_span("link", text, start, end, uri))
    for m in _TAG.finditer(text):
        tag = m.group(2)
        if not tag:
            continue
        tag = _TRAILING_PUNCTUATION.sub("", tag)
        if not tag or graphemes(tag) > TAG_MAX_GRAPHEMES or utf8_len(tag) > TAG_MAX_BYTES:
            continue
        start = m.start() + len(m.group(1))  # at the '#'
        spans.append(_span("tag", text, start, start + 1 + len(tag), tag))
    for m in _CASHTAG.finditer(text):
        spans.append(_span("tag", text, m.start(2) - 1, m.end(2), "$" + m.group(2).upper()))
    spans.sort(key=lambda s: s.byte_start)
    return spans


def facets(text: str, resolve_handle: Callable[[str], str | None]) -> list[dict]:
    """The app.bsky.richtext.facet list for `text`. `resolve_handle` maps a handle
    to its DID, or None when it does not resolve (that mention gets no facet)."""
    out = []
    resolved: dict[str, str | None] = {}
    for span in detect(text):
        if span.kind == "link":
            feature = {"$type": "app.bsky.richtext.facet#link", "uri": span.value}
        elif span.kind == "tag":
            feature = {"$type": "app.bsky.richtext.facet#tag", "tag": span.value}
        else:
            if span.value not in resolved:
                resolved[span.value] = resolve_handle(span.value)
            did = resolved[span.value]
            if did is None:
                continue
            feature = {"$type": "app.bsky.richtext.facet#mention", "did": did}
        out.append({"index": {"byteStart": span.byte_start, "byteEnd": span.byte_end}, "features": [feature]})
    return out
