#!/usr/bin/env python3
"""Generate the bundled Skald sample data (samples/data/).

All text below was written by hand for the Skald project (it is not taken
from any dataset).  Each *template* is a short factual passage about an
everyday topic, written natively in Norwegian Bokmaal (nb), Norwegian Nynorsk
(nn), Danish (da) and Swedish (sv), together with two questions that the
passage answers (worded differently from the passage), a paraphrase pair and an
entailed and a contradicting hypothesis.  Slots such as {place}, {name} or
numbers are filled from small per-language pools so that every template yields
several distinct passages.  The facts are illustrative, not real-world
information (opening hours, prices and routes are invented).

Whole templates are held out for evaluation, so no evaluation passage, query or
hypothesis is ever seen during training.

Run:  python3 samples/data/make_samples.py        (deterministic, stdlib only)

Written for the Skald project; free to use (CC0-1.0).
"""

import json
import os
import random
import re
import string
import math
from collections import Counter, defaultdict

SEED = 20240611
LANGS = ("nb", "nn", "da", "sv")
HERE = os.path.dirname(os.path.abspath(__file__))

# --------------------------------------------------------------------------
# Slot pools (per language).  Place names all take the preposition "i".
# --------------------------------------------------------------------------
POOLS = {
    "place": {
        "nb": ["Tromsø", "Bodø", "Ålesund", "Molde", "Drammen", "Kristiansand",
               "Arendal", "Steinkjer", "Skien", "Haugesund", "Larvik",
               "Sandefjord", "Harstad", "Narvik", "Halden", "Moss"],
        "nn": ["Førde", "Sogndal", "Ørsta", "Volda", "Florø", "Odda", "Stryn",
               "Ulsteinvik", "Leikanger", "Aurland", "Lærdal", "Norheimsund",
               "Dale", "Eid", "Os", "Fitjar"],
        "da": ["Odense", "Aalborg", "Esbjerg", "Vejle", "Randers", "Kolding",
               "Horsens", "Herning", "Silkeborg", "Næstved", "Viborg",
               "Svendborg", "Roskilde", "Holbæk", "Hjørring", "Sønderborg"],
        "sv": ["Uppsala", "Västerås", "Örebro", "Linköping", "Umeå", "Luleå",
               "Gävle", "Karlstad", "Växjö", "Kalmar", "Sundsvall", "Östersund",
               "Jönköping", "Falun", "Borås", "Visby"],
    },
    "name": {
        "nb": ["Ingrid", "Kari", "Ola", "Lars", "Sigrid", "Sander", "Nora",
               "Henrik", "Marte", "Even", "Silje", "Eirik", "Tone", "Håkon"],
        "nn": ["Solveig", "Torbjørn", "Gunnhild", "Ivar", "Ragnhild", "Sindre",
               "Åse", "Oddvar", "Marit", "Knut", "Liv", "Eivind", "Brita", "Halvard"],
        "da": ["Mette", "Søren", "Anne", "Morten", "Freja", "Christian", "Ida",
               "Jakob", "Karen", "Mikkel", "Signe", "Peter", "Lone", "Kasper"],
        "sv": ["Elin", "Johan", "Maja", "Erik", "Linnea", "Oskar", "Karin",
               "Gustav", "Ebba", "Henrik", "Astrid", "Viktor", "Sara", "Anton"],
    },
    "day": {
        "nb": ["mandag", "tirsdag", "onsdag", "torsdag", "fredag"],
        "nn": ["måndag", "tysdag", "onsdag", "torsdag", "fredag"],
        "da": ["mandag", "tirsdag", "onsdag", "torsdag", "fredag"],
        "sv": ["måndag", "tisdag", "onsdag", "torsdag", "fredag"],
    },
    "month": {
        "nb": ["januar", "februar", "mars", "april", "mai", "juni", "juli",
               "august", "september", "oktober", "november", "desember"],
        "nn": ["januar", "februar", "mars", "april", "mai", "juni", "juli",
               "august", "september", "oktober", "november", "desember"],
        "da": ["januar", "februar", "marts", "april", "maj", "juni", "juli",
               "august", "september", "oktober", "november", "december"],
        "sv": ["januari", "februari", "mars", "april", "maj", "juni", "juli",
               "augusti", "september", "oktober", "november", "december"],
    },
}

TEMPLATES = []  # filled below


def add(topic, tid, slots, **langs):
    """Register one template.

    slots: name -> pool key (str, see POOLS), list of values shared by all
    languages, or dict lang -> list.  For each slot X the generator also
    provides X_alt, a different value from the same pool (for contradictions).
    langs: nb/nn/da/sv -> (title, passage, [question1, question2],
                           (paraphrase_a, paraphrase_b), entailed, contradiction)
    """
    assert set(langs) == set(LANGS), (topic, tid)
    TEMPLATES.append({"topic": topic, "tid": tid, "slots": slots, "langs": langs})

# ==========================================================================
# Health: the GP office (legekontor)
# ==========================================================================
add("helse", "lege-opningstid", {"place": "place", "h1": [7, 8], "h2": [15, 16, 17]},
    nb=("Legekontoret i {place}",
        "Legekontoret i {place} har åpent fra klokka {h1} til {h2} på hverdager. Pasienter bestiller time via nettsiden eller på telefon. Ved akutt sykdom blir du vurdert samme dag.",
        ["Når kan jeg treffe fastlegen i {place} på en vanlig ukedag?",
         "Hvilke tider er helsesenteret i {place} bemannet fra mandag til fredag?"],
        ("Legekontoret i {place} stenger klokka {h2} på hverdager.",
         "Fra mandag til fredag lukker fastlegene i {place} dørene kl. {h2}."),
        "Man kan oppsøke legekontoret i {place} på dagtid fra mandag til fredag.",
        "Legekontoret i {place} holder bare åpent i helgene."),
    nn=("Legekontoret i {place}",
        "Legekontoret i {place} er ope frå klokka {h1} til {h2} på kvardagar. Pasientane bestiller time på nettsida eller over telefon. Ved akutt sjukdom blir du vurdert same dag.",
        ["Når kan eg treffe fastlegen i {place} på ein vanleg vekedag?",
         "Kva tider er helsesenteret i {place} bemanna frå måndag til fredag?"],
        ("Legekontoret i {place} stengjer klokka {h2} på kvardagar.",
         "Frå måndag til fredag lèt fastlegane i {place} att dørene kl. {h2}."),
        "Ein kan oppsøkje legekontoret i {place} på dagtid frå måndag til fredag.",
        "Legekontoret i {place} held berre ope i helgane."),
    da=("Lægehuset i {place}",
        "Lægehuset i {place} har åbent fra klokken {h1} til {h2} på hverdage. Patienter bestiller tid via hjemmesiden eller over telefonen. Ved akut sygdom bliver du vurderet samme dag.",
        ["Hvornår kan jeg komme til min praktiserende læge i {place} på en almindelig ugedag?",
         "Hvilke tidspunkter er sundhedshuset i {place} bemandet fra mandag til fredag?"],
        ("Lægehuset i {place} lukker klokken {h2} på hverdage.",
         "Fra mandag til fredag slutter konsultationen hos lægerne i {place} kl. {h2}."),
        "Man kan besøge lægehuset i {place} i dagtimerne fra mandag til fredag.",
        "Lægehuset i {place} holder kun åbent i weekenden."),
    sv=("Vårdcentralen i {place}",
        "Vårdcentralen i {place} har öppet från klockan {h1} till {h2} på vardagar. Patienter bokar tid via webbplatsen eller per telefon. Vid akut sjukdom blir du bedömd samma dag.",
        ["När kan jag träffa min husläkare i {place} en vanlig veckodag?",
         "Vilka tider är hälsocentralen i {place} bemannad måndag till fredag?"],
        ("Vårdcentralen i {place} stänger klockan {h2} på vardagar.",
         "Från måndag till fredag slår läkarmottagningen i {place} igen kl. {h2}."),
        "Man kan besöka vårdcentralen i {place} dagtid från måndag till fredag.",
        "Vårdcentralen i {place} har bara öppet på helgerna."),
)

add("helse", "egenmelding", {"name": "name", "place": "place", "m": [3, 4, 8], "d": [2, 3, 5]},
    nb=("Egenmelding hos arbeidsgiveren til {name}",
        "Hos arbeidsgiveren til {name} i {place} kan de ansatte melde seg syke selv i inntil {m} kalenderdager. Varer sykdommen lenger, må man ha sykmelding fra lege. Egenmelding kan brukes flere ganger i året.",
        ["Hvor mange dager kan {name} være borte fra jobben uten papir fra doktoren?",
         "Når trenger {name} og kollegene i {place} en attest for fraværet sitt?"],
        ("{name} var hjemme med feber i {d} dager.",
         "I {d} døgn lå {name} til sengs med høy temperatur."),
        "De ansatte hos arbeidsgiveren til {name} kan selv melde fravær for en kort periode.",
        "Hos arbeidsgiveren til {name} må man alltid ha sykmelding fra første fraværsdag."),
    nn=("Eigenmelding hos arbeidsgjevaren til {name}",
        "Hos arbeidsgjevaren til {name} i {place} kan dei tilsette melde seg sjuke sjølve i inntil {m} kalenderdagar. Varer sjukdommen lenger, må ein ha sjukmelding frå lege. Eigenmelding kan nyttast fleire gonger i året.",
        ["Kor mange dagar kan {name} vere borte frå jobben utan papir frå doktoren?",
         "Når treng {name} og kollegaene i {place} ein attest for fråværet sitt?"],
        ("{name} var heime med feber i {d} dagar.",
         "I {d} døgn låg {name} til sengs med høg temperatur."),
        "Dei tilsette hos arbeidsgjevaren til {name} kan sjølve melde fråvær for ein kort periode.",
        "Hos arbeidsgjevaren til {name} må ein alltid ha sjukmelding frå første fråværsdag."),
    da=("Egen sygemelding på {name}s arbejdsplads",
        "På arbejdspladsen, hvor {name} er ansat i {place}, kan medarbejderne selv melde sig syge i op til {m} kalenderdage. Varer sygdommen længere, skal man have en lægeerklæring. Egen sygemelding kan bruges flere gange om året.",
        ["Hvor mange dage kan {name} blive væk fra arbejdet uden papir fra doktoren?",
         "Hvornår har {name} og kollegerne i {place} brug for en attest for deres fravær?"],
        ("{name} var hjemme med feber i {d} dage.",
         "I {d} døgn lå {name} i sengen med høj temperatur."),
        "Medarbejderne på {name}s arbejdsplads kan selv melde fravær i en kort periode.",
        "På {name}s arbejdsplads skal man altid have en lægeerklæring fra første fraværsdag."),
    sv=("Egen sjukanmälan på {name}s arbetsplats",
        "På {name}s arbetsplats i {place} kan de anställda själva sjukanmäla sig i upp till {m} kalenderdagar. Om sjukdomen varar längre krävs ett läkarintyg. Egen sjukanmälan kan användas flera gånger per år.",
        ["Hur många dagar kan {name} vara borta från jobbet utan papper från doktorn?",
         "När behöver {name} och kollegorna i {place} ett intyg för sin frånvaro?"],
        ("{name} var hemma med feber i {d} dagar.",
         "I {d} dygn låg {name} till sängs med hög temperatur."),
        "De anställda på {name}s arbetsplats kan själva anmäla frånvaro under en kort period.",
        "På {name}s arbetsplats måste man alltid ha läkarintyg från första frånvarodagen."),
)

# ==========================================================================
# Transport: train (tog)
# ==========================================================================
add("tog", "tog-frekvens", {"place": "place", "place2": "place", "n": [15, 20, 30], "t": [35, 40, 50, 55, 70]},
    nb=("Regiontog {place}–{place2}",
        "Regiontoget mellom {place} og {place2} går hvert {n}. minutt i rushtiden. Reisen tar omtrent {t} minutter, og billetten kan kjøpes i appen før avgang.",
        ["Hvor ofte kan jeg reise med jernbanen fra {place} til {place2} om morgenen?",
         "Hvor lang tid bruker man på togturen fra {place} til {place2}?"],
        ("Toget fra {place} til {place2} bruker rundt {t} minutter.",
         "Jernbanereisen {place}–{place2} varer cirka {t} minutter."),
        "I rushtiden går det flere tog i timen mellom {place} og {place2}.",
        "Mellom {place} og {place2} går det bare ett tog i døgnet."),
    nn=("Regiontog {place}–{place2}",
        "Regiontoget mellom {place} og {place2} går kvart {n}. minutt i rushtida. Reisa tek om lag {t} minutt, og billetten kan kjøpast i appen før avgang.",
        ["Kor ofte kan eg reise med jernbana frå {place} til {place2} om morgonen?",
         "Kor lang tid brukar ein på togturen frå {place} til {place2}?"],
        ("Toget frå {place} til {place2} brukar rundt {t} minutt.",
         "Jernbanereisa {place}–{place2} varer kring {t} minutt."),
        "I rushtida går det fleire tog i timen mellom {place} og {place2}.",
        "Mellom {place} og {place2} går det berre eitt tog i døgnet."),
    da=("Regionaltog {place}–{place2}",
        "Regionaltoget mellem {place} og {place2} kører hvert {n}. minut i myldretiden. Turen tager omkring {t} minutter, og billetten kan købes i appen før afgang.",
        ["Hvor tit kan jeg rejse med banen fra {place} til {place2} om morgenen?",
         "Hvor lang tid varer togrejsen fra {place} til {place2}?"],
        ("Toget fra {place} til {place2} er cirka {t} minutter undervejs.",
         "Jernbaneturen {place}–{place2} tager omkring {t} minutter."),
        "I myldretiden kører der flere tog i timen mellem {place} og {place2}.",
        "Mellem {place} og {place2} kører der kun ét tog i døgnet."),
    sv=("Regionaltåg {place}–{place2}",
        "Regionaltåget mellan {place} och {place2} går var {n}:e minut under rusningstid. Resan tar ungefär {t} minuter, och biljetten kan köpas i appen före avgång.",
        ["Hur ofta kan jag åka järnväg från {place} till {place2} på morgonen?",
         "Hur lång tid tar tågresan från {place} till {place2}?"],
        ("Tåget från {place} till {place2} är ungefär {t} minuter på väg.",
         "Järnvägsresan {place}–{place2} tar omkring {t} minuter."),
        "Under rusningstid går det flera tåg i timmen mellan {place} och {place2}.",
        "Mellan {place} och {place2} går det bara ett tåg per dygn."),
)

add("tog", "tog-forsinkelse", {"place": "place", "m": [30, 40, 60], "w": [2, 3, 4]},
    nb=("Forsinket tog fra {place}",
        "Blir toget fra {place} mer enn {m} minutter forsinket, kan du kreve deler av billettprisen tilbake. Skjemaet fylles ut på nettsiden innen {w} uker etter reisen. Du må legge ved billetten eller kvitteringen.",
        ["Får jeg pengene igjen hvis avgangen fra {place} kommer sent?",
         "Hvor lang frist har man for å søke kompensasjon etter en sen togreise fra {place}?"],
        ("Toget fra {place} kom {m} minutter for sent i dag.",
         "Dagens avgang fra {place} hadde en forsinkelse på {m} minutter."),
        "Reisende fra {place} kan få refusjon når forsinkelsen blir lang.",
        "Ved forsinkelser fra {place} blir ingen del av billetten betalt tilbake."),
    nn=("Forseinka tog frå {place}",
        "Blir toget frå {place} meir enn {m} minutt forseinka, kan du krevje delar av billettprisen tilbake. Skjemaet må fyllast ut på nettsida innan {w} veker etter reisa. Du må leggje ved billetten eller kvitteringa.",
        ["Får eg pengane att dersom avgangen frå {place} kjem seint?",
         "Kor lang frist har ein for å søkje kompensasjon etter ei sein togreise frå {place}?"],
        ("Toget frå {place} kom {m} minutt for seint i dag.",
         "Dagens avgang frå {place} hadde ei forseinking på {m} minutt."),
        "Reisande frå {place} kan få refusjon når forseinkinga blir lang.",
        "Ved forseinkingar frå {place} blir ingen del av billetten betalt tilbake."),
    da=("Forsinket tog fra {place}",
        "Er toget fra {place} mere end {m} minutter forsinket, kan du kræve en del af billetprisen tilbage. Formularen udfyldes på hjemmesiden senest {w} uger efter rejsen. Du skal vedhæfte billetten eller kvitteringen.",
        ["Får jeg pengene retur, hvis afgangen fra {place} kommer for sent?",
         "Hvor lang frist har man for at søge erstatning efter en sen togtur fra {place}?"],
        ("Toget fra {place} kom {m} minutter for sent i dag.",
         "Dagens afgang fra {place} havde en forsinkelse på {m} minutter."),
        "Rejsende fra {place} kan få penge tilbage, når forsinkelsen bliver lang.",
        "Ved forsinkelser fra {place} bliver ingen del af billetten refunderet."),
    sv=("Försenat tåg från {place}",
        "Om tåget från {place} blir mer än {m} minuter försenat kan du begära tillbaka en del av biljettpriset. Blanketten fylls i på webbplatsen senast {w} veckor efter resan. Du måste bifoga biljetten eller kvittot.",
        ["Får jag pengarna tillbaka om avgången från {place} är sen?",
         "Hur lång tid har man på sig att söka ersättning efter en sen tågresa från {place}?"],
        ("Tåget från {place} kom {m} minuter för sent i dag.",
         "Dagens avgång från {place} hade en försening på {m} minuter."),
        "Resenärer från {place} kan få återbetalning när förseningen blir lång.",
        "Vid förseningar från {place} betalas ingen del av biljetten tillbaka."),
)

# ==========================================================================
# Transport: bus (buss)
# ==========================================================================
add("buss", "nattbuss", {"place": "place", "n": [20, 30, 40], "h": [3, 4]},
    nb=("Nattbuss i {place}",
        "Nattbussen i {place} går fra sentrum hvert {n}. minutt natt til lørdag og natt til søndag. Siste avgang er klokka {h}, og vanlig månedskort gjelder om bord.",
        ["Kan jeg komme meg hjem med kollektivtrafikken sent i helgene i {place}?",
         "Er periodebilletten gyldig på de sene turene i {place}?"],
        ("Den siste nattbussen i {place} kjører klokka {h}.",
         "I {place} forlater helgens siste nattavgang sentrum kl. {h}."),
        "I {place} kan man ta buss om natta i helgene.",
        "Nattbussen i {place} går bare på hverdager."),
    nn=("Nattbuss i {place}",
        "Nattbussen i {place} går frå sentrum kvart {n}. minutt natt til laurdag og natt til søndag. Siste avgang er klokka {h}, og vanleg månadskort gjeld om bord.",
        ["Kan eg kome meg heim med kollektivtrafikken seint i helgane i {place}?",
         "Er periodebilletten gyldig på dei seine turane i {place}?"],
        ("Den siste nattbussen i {place} køyrer klokka {h}.",
         "I {place} forlèt den siste nattavgangen i helga sentrum kl. {h}."),
        "I {place} kan ein ta buss om natta i helgane.",
        "Nattbussen i {place} går berre på kvardagar."),
    da=("Natbus i {place}",
        "Natbussen i {place} kører fra centrum hvert {n}. minut natten til lørdag og natten til søndag. Sidste afgang er klokken {h}, og almindeligt månedskort gælder om bord.",
        ["Kan jeg komme hjem med den offentlige transport sent i weekenden i {place}?",
         "Er periodekortet gyldigt på de sene ture i {place}?"],
        ("Den sidste natbus i {place} kører klokken {h}.",
         "I {place} forlader weekendens sidste natafgang centrum kl. {h}."),
        "I {place} kan man tage bussen om natten i weekenden.",
        "Natbussen i {place} kører kun på hverdage."),
    sv=("Nattbuss i {place}",
        "Nattbussen i {place} går från centrum var {n}:e minut natt till lördag och natt till söndag. Sista avgången är klockan {h}, och vanligt månadskort gäller ombord.",
        ["Kan jag ta mig hem med kollektivtrafiken sent på helgerna i {place}?",
         "Gäller periodbiljetten på de sena turerna i {place}?"],
        ("Den sista nattbussen i {place} går klockan {h}.",
         "I {place} lämnar helgens sista nattavgång centrum kl. {h}."),
        "I {place} kan man åka buss på natten under helgerna.",
        "Nattbussen i {place} går bara på vardagar."),
)

add("buss", "studentbillett", {"place": "place", "p": [350, 420, 480, 520], "a": [30, 31, 35]},
    nb=("Studentbillett i {place}",
        "Studenter i {place} betaler {p} kroner for et månedskort på bussen. Rabatten gjelder for heltidsstudenter under {a} år, og studentbeviset må vises ved kontroll.",
        ["Hva koster det for en som studerer i {place} å reise kollektivt en hel måned?",
         "Hvem kan få redusert pris på busskort i {place}?"],
        ("Et månedskort for studenter i {place} koster {p} kroner.",
         "I {place} må studentene ut med {p} kroner for å reise med buss i en måned."),
        "Studenter i {place} får billigere busskort enn andre.",
        "Studenter i {place} betaler full pris for månedskort på bussen."),
    nn=("Studentbillett i {place}",
        "Studentar i {place} betaler {p} kroner for eit månadskort på bussen. Rabatten gjeld for heiltidsstudentar under {a} år, og studentbeviset må visast ved kontroll.",
        ["Kva kostar det for ein som studerer i {place} å reise kollektivt ein heil månad?",
         "Kven kan få redusert pris på busskort i {place}?"],
        ("Eit månadskort for studentar i {place} kostar {p} kroner.",
         "I {place} må studentane ut med {p} kroner for å reise med buss i ein månad."),
        "Studentar i {place} får billegare busskort enn andre.",
        "Studentar i {place} betaler full pris for månadskort på bussen."),
    da=("Studenterbillet i {place}",
        "Studerende i {place} betaler {p} kroner for et månedskort til bussen. Rabatten gælder for fuldtidsstuderende under {a} år, og studiekortet skal vises ved kontrol.",
        ["Hvad koster det for en, der læser i {place}, at rejse med offentlig transport en hel måned?",
         "Hvem kan få nedsat pris på buskort i {place}?"],
        ("Et månedskort for studerende i {place} koster {p} kroner.",
         "I {place} skal de studerende af med {p} kroner for at køre med bus i en måned."),
        "Studerende i {place} får billigere buskort end andre.",
        "Studerende i {place} betaler fuld pris for månedskort til bussen."),
    sv=("Studentbiljett i {place}",
        "Studenter i {place} betalar {p} kronor för ett månadskort på bussen. Rabatten gäller heltidsstudenter under {a} år, och studentlegitimationen måste visas vid kontroll.",
        ["Vad kostar det för någon som pluggar i {place} att åka kollektivt en hel månad?",
         "Vem kan få nedsatt pris på busskort i {place}?"],
        ("Ett månadskort för studenter i {place} kostar {p} kronor.",
         "I {place} får studenterna betala {p} kronor för att åka buss i en månad."),
        "Studenter i {place} får billigare busskort än andra.",
        "Studenter i {place} betalar fullt pris för månadskort på bussen."),
)

# ==========================================================================
# Transport: ferry (ferje)
# ==========================================================================
add("ferje", "ferje-overfart", {"place": "place", "t": [15, 20, 25, 35], "c": [60, 80, 120]},
    nb=("Ferjesambandet fra {place}",
        "Ferja fra {place} over fjorden bruker {t} minutter på overfarten. Den tar med seg opptil {c} biler, og om sommeren bør man komme i god tid før avgang.",
        ["Hvor lenge er man om bord på båten over fjorden fra {place}?",
         "Hvor mange kjøretøy er det plass til på fergen i {place}?"],
        ("Overfarten med ferja fra {place} varer {t} minutter.",
         "Det tar {t} minutter å krysse fjorden med bilferga fra {place}."),
        "Om sommeren kan det bli kø ved ferjekaia i {place}.",
        "Ferja fra {place} tar ikke med seg biler."),
    nn=("Ferjesambandet frå {place}",
        "Ferja frå {place} over fjorden brukar {t} minutt på overfarten. Ho tek med seg opptil {c} bilar, og om sommaren bør ein kome i god tid før avgang.",
        ["Kor lenge er ein om bord på båten over fjorden frå {place}?",
         "Kor mange køyretøy er det plass til på ferjesambandet i {place}?"],
        ("Overfarten med ferja frå {place} varer {t} minutt.",
         "Det tek {t} minutt å krysse fjorden med bilferja frå {place}."),
        "Om sommaren kan det bli kø ved ferjekaia i {place}.",
        "Ferja frå {place} tek ikkje med seg bilar."),
    da=("Færgeforbindelsen fra {place}",
        "Færgen fra {place} bruger {t} minutter på overfarten. Den kan tage op til {c} biler med, og om sommeren bør man møde op i god tid før afgang.",
        ["Hvor længe er man om bord på båden, når man sejler fra {place}?",
         "Hvor mange køretøjer er der plads til på overfartsbåden i {place}?"],
        ("Overfarten med færgen fra {place} varer {t} minutter.",
         "Det tager {t} minutter at sejle over med bilfærgen fra {place}."),
        "Om sommeren kan der opstå kø ved færgelejet i {place}.",
        "Færgen fra {place} tager ikke biler med."),
    sv=("Färjeförbindelsen från {place}",
        "Färjan från {place} behöver {t} minuter för överfarten. Den rymmer upp till {c} bilar, och på sommaren bör man komma i god tid före avgång.",
        ["Hur länge är man ombord på båten när man åker över från {place}?",
         "Hur många fordon får plats på bilfärjan i {place}?"],
        ("Överfarten med färjan från {place} varar {t} minuter.",
         "Det tar {t} minuter att ta sig över vattnet med bilfärjan från {place}."),
        "På sommaren kan det bli kö vid färjeläget i {place}.",
        "Färjan från {place} tar inte med några bilar."),
)

add("ferje", "ferje-pris", {"place": "place", "p": [40, 55, 70, 85], "a": [6, 12, 16]},
    nb=("Billettpriser på ferja fra {place}",
        "En voksen passasjer uten bil betaler {p} kroner for ferjeturen fra {place}. Barn under {a} år reiser gratis, og honnørbillett koster halv pris.",
        ["Hva må jeg betale for å ta ferja fra {place} til fots?",
         "Må småbarn ha billett på båten fra {place}?"],
        ("Gående passasjerer betaler {p} kroner på ferja fra {place}.",
         "Uten kjøretøy koster overfarten fra {place} {p} kroner for en voksen."),
        "Pensjonister får rabatt på ferja fra {place}.",
        "Alle barn må betale full pris på ferja fra {place}."),
    nn=("Billettprisar på ferja frå {place}",
        "Ein vaksen passasjer utan bil betaler {p} kroner for ferjeturen frå {place}. Born under {a} år reiser gratis, og honnørbillett kostar halv pris.",
        ["Kva må eg betale for å ta ferja frå {place} til fots?",
         "Må småborn ha billett på båten frå {place}?"],
        ("Gåande passasjerar betaler {p} kroner på ferja frå {place}.",
         "Utan køyretøy kostar overfarten frå {place} {p} kroner for ein vaksen."),
        "Pensjonistar får rabatt på ferja frå {place}.",
        "Alle born må betale full pris på ferja frå {place}."),
    da=("Billetpriser på færgen fra {place}",
        "En voksen passager uden bil betaler {p} kroner for færgeturen fra {place}. Børn under {a} år rejser gratis, og pensionister betaler halv pris.",
        ["Hvad skal jeg betale for at tage færgen fra {place} som gående?",
         "Skal små børn have billet til båden fra {place}?"],
        ("Gående passagerer betaler {p} kroner på færgen fra {place}.",
         "Uden køretøj koster overfarten fra {place} {p} kroner for en voksen."),
        "Ældre får rabat på færgen fra {place}.",
        "Alle børn skal betale fuld pris på færgen fra {place}."),
    sv=("Biljettpriser på färjan från {place}",
        "En vuxen passagerare utan bil betalar {p} kronor för färjeturen från {place}. Barn under {a} år reser gratis, och pensionärer betalar halva priset.",
        ["Vad kostar det att ta färjan från {place} som gående?",
         "Behöver småbarn biljett till båten från {place}?"],
        ("Gående passagerare betalar {p} kronor på färjan från {place}.",
         "Utan fordon kostar överfarten från {place} {p} kronor för en vuxen."),
        "Pensionärer får rabatt på färjan från {place}.",
        "Alla barn måste betala fullt pris på färjan från {place}."),
)
# ==========================================================================
# Weather (vær)
# ==========================================================================
add("vaer", "snovarsel", {"place": "place", "cm": [10, 15, 20, 30], "day": "day", "deg": [5, 8, 12]},
    nb=("Snøvarsel for {place}",
        "Meteorologene varsler {cm} centimeter nysnø i {place} natt til {day}. Temperaturen faller til minus {deg} grader, og veiene kan bli glatte i morgenrushet.",
        ["Hvor mye snø ventes det å komme i {place} i løpet av natta?",
         "Må bilistene i {place} være forberedt på dårlig føre {day} morgen?"],
        ("Det er meldt {cm} centimeter snø i {place}.",
         "Værvarselet for {place} lover et snølag på {cm} cm."),
        "Det blir kuldegrader i {place} natt til {day}.",
        "Det blir mildt og tørt vær i {place} natt til {day}."),
    nn=("Snøvarsel for {place}",
        "Meteorologane varslar {cm} centimeter nysnø i {place} natt til {day}. Temperaturen fell til minus {deg} grader, og vegane kan bli glatte i morgonrushet.",
        ["Kor mykje snø er venta å kome i {place} i løpet av natta?",
         "Må bilistane i {place} vere budde på dårleg føre {day} morgon?"],
        ("Det er meldt {cm} centimeter snø i {place}.",
         "Vêrvarselet for {place} lovar eit snølag på {cm} cm."),
        "Det blir kuldegradar i {place} natt til {day}.",
        "Det blir mildt og tørt vêr i {place} natt til {day}."),
    da=("Snevarsel for {place}",
        "Meteorologerne varsler {cm} centimeter nysne i {place} natten til {day}. Temperaturen falder til minus {deg} grader, og vejene kan blive glatte i morgenmyldretiden.",
        ["Hvor meget sne forventes der at falde i {place} i løbet af natten?",
         "Skal bilisterne i {place} være forberedt på dårligt føre {day} morgen?"],
        ("Der er meldt {cm} centimeter sne i {place}.",
         "Vejrudsigten for {place} lover et snelag på {cm} cm."),
        "Der bliver frostgrader i {place} natten til {day}.",
        "Der bliver mildt og tørt vejr i {place} natten til {day}."),
    sv=("Snövarning för {place}",
        "Meteorologerna varnar för {cm} centimeter nysnö i {place} natten mot {day}. Temperaturen sjunker till minus {deg} grader, och vägarna kan bli hala under morgonrusningen.",
        ["Hur mycket snö väntas falla i {place} under natten?",
         "Måste bilisterna i {place} vara beredda på dåligt väglag på {day}smorgonen?"],
        ("Det är utlovat {cm} centimeter snö i {place}.",
         "Väderprognosen för {place} visar ett snötäcke på {cm} cm."),
        "Det blir minusgrader i {place} natten mot {day}.",
        "Det blir milt och torrt väder i {place} natten mot {day}."),
)

add("vaer", "storm", {"place": "place", "day": "day", "ms": [25, 30, 35]},
    nb=("Stormvarsel for kysten ved {place}",
        "Et kraftig uvær når kysten ved {place} {day} ettermiddag med vindkast på opptil {ms} meter per sekund. Politiet ber folk sikre løse gjenstander, og flere båtruter kan bli innstilt.",
        ["Når kommer stormen inn over {place}?",
         "Hvorfor bør innbyggerne i {place} feste hagemøbler og søppeldunker?"],
        ("Vinden i {place} kan nå {ms} meter per sekund.",
         "Meteorologene regner med kast på {ms} m/s rundt {place}."),
        "Det ventes sterk vind i {place} {day}.",
        "Det blir stille og rolig vær i {place} hele {day}en."),
    nn=("Stormvarsel for kysten ved {place}",
        "Eit kraftig uvêr når kysten ved {place} {day} ettermiddag med vindkast på opptil {ms} meter per sekund. Politiet ber folk sikre lause gjenstandar, og fleire båtruter kan bli innstilte.",
        ["Når kjem stormen inn over {place}?",
         "Kvifor bør innbyggjarane i {place} feste hagemøblar og bosspann?"],
        ("Vinden i {place} kan nå {ms} meter per sekund.",
         "Meteorologane reknar med kast på {ms} m/s rundt {place}."),
        "Det er venta sterk vind i {place} {day}.",
        "Det blir stille og roleg vêr i {place} heile {day}en."),
    da=("Stormvarsel for kysten ved {place}",
        "Et kraftigt uvejr rammer kysten ved {place} {day} eftermiddag med vindstød på op til {ms} meter i sekundet. Politiet beder folk sikre løse genstande, og flere færgeafgange kan blive aflyst.",
        ["Hvornår kommer stormen ind over {place}?",
         "Hvorfor bør borgerne i {place} fastgøre havemøbler og skraldespande?"],
        ("Vinden i {place} kan nå {ms} meter i sekundet.",
         "Meteorologerne regner med stød på {ms} m/s omkring {place}."),
        "Der ventes kraftig blæst i {place} {day}.",
        "Det bliver stille og roligt vejr i {place} hele {day}en."),
    sv=("Stormvarning för kusten vid {place}",
        "Ett kraftigt oväder når kusten vid {place} på {day}seftermiddagen med vindbyar på upp till {ms} meter per sekund. Polisen uppmanar folk att säkra lösa föremål, och flera båtlinjer kan bli inställda.",
        ["När drar stormen in över {place}?",
         "Varför bör invånarna i {place} spänna fast trädgårdsmöbler och soptunnor?"],
        ("Vinden i {place} kan nå {ms} meter per sekund.",
         "Meteorologerna räknar med byar på {ms} m/s kring {place}."),
        "Det väntas hård vind i {place} på {day}.",
        "Det blir stilla och lugnt väder i {place} hela {day}en."),
)

# ==========================================================================
# Housing (bolig)
# ==========================================================================
add("bolig", "leilighet-leie", {"place": "place", "sqm": [35, 48, 60, 72], "rent": [9500, 11000, 12500, 14000]},
    nb=("Leilighet til leie i {place}",
        "Leiligheten på {sqm} kvadratmeter i {place} leies ut for {rent} kroner i måneden. Depositumet tilsvarer tre måneders husleie, og strøm kommer i tillegg.",
        ["Hva er månedsleien for boligen på {sqm} kvadratmeter i {place}?",
         "Hvor stort sikkerhetsbeløp må en leietaker i {place} betale på forhånd?"],
        ("Husleien for leiligheten i {place} er {rent} kroner.",
         "Det koster {rent} kroner i måneden å bo i utleieboligen i {place}."),
        "Leietakeren i {place} må betale strømmen selv.",
        "Strøm er inkludert i husleien for leiligheten i {place}."),
    nn=("Husvære til leige i {place}",
        "Husværet på {sqm} kvadratmeter i {place} blir leigd ut for {rent} kroner i månaden. Depositumet svarar til tre månader med husleige, og straum kjem i tillegg.",
        ["Kva er månadsleiga for bustaden på {sqm} kvadratmeter i {place}?",
         "Kor stort tryggingsbeløp må ein leigetakar i {place} betale på førehand?"],
        ("Husleiga for husværet i {place} er {rent} kroner.",
         "Det kostar {rent} kroner i månaden å bu i utleigebustaden i {place}."),
        "Leigetakaren i {place} må betale straumen sjølv.",
        "Straum er inkludert i husleiga for husværet i {place}."),
    da=("Lejlighed til leje i {place}",
        "Lejligheden på {sqm} kvadratmeter i {place} udlejes for {rent} kroner om måneden. Depositummet svarer til tre måneders husleje, og el betales ved siden af.",
        ["Hvad er den månedlige leje for boligen på {sqm} kvadratmeter i {place}?",
         "Hvor stort sikkerhedsbeløb skal en lejer i {place} betale på forhånd?"],
        ("Huslejen for lejligheden i {place} er {rent} kroner.",
         "Det koster {rent} kroner om måneden at bo i lejeboligen i {place}."),
        "Lejeren i {place} skal selv betale for strømmen.",
        "Strøm er inkluderet i huslejen for lejligheden i {place}."),
    sv=("Lägenhet att hyra i {place}",
        "Lägenheten på {sqm} kvadratmeter i {place} hyrs ut för {rent} kronor i månaden. Depositionen motsvarar tre månadshyror, och el tillkommer.",
        ["Vad är månadshyran för bostaden på {sqm} kvadratmeter i {place}?",
         "Hur stor säkerhet måste en hyresgäst i {place} betala i förskott?"],
        ("Hyran för lägenheten i {place} är {rent} kronor.",
         "Det kostar {rent} kronor i månaden att bo i hyreslägenheten i {place}."),
        "Hyresgästen i {place} måste själv betala elen.",
        "El ingår i hyran för lägenheten i {place}."),
)

add("bolig", "oppsigelse", {"name": "name", "place": "place", "k": [2, 3]},
    nb=("{name} sier opp hybelen",
        "{name} leier en hybel i {place} og vil flytte. Oppsigelsestiden i kontrakten er {k} måneder, regnet fra første dag i måneden etter at utleieren har mottatt oppsigelsen skriftlig.",
        ["Hvor lenge må {name} betale leie etter å ha sagt fra seg hybelen?",
         "Hvordan må {name} gi beskjed til huseieren i {place} om at leieforholdet skal avsluttes?"],
        ("{name} har sagt opp leiekontrakten sin i {place}.",
         "{name} har gitt utleieren beskjed om at hybelen i {place} skal fraflyttes."),
        "{name} må sende oppsigelsen til utleieren skriftlig.",
        "{name} kan flytte ut av hybelen i {place} samme dag uten å betale mer leie."),
    nn=("{name} seier opp hybelen",
        "{name} leiger ein hybel i {place} og vil flytte. Oppseiingstida i kontrakten er {k} månader, rekna frå første dag i månaden etter at utleigaren har fått oppseiinga skriftleg.",
        ["Kor lenge må {name} betale leige etter å ha sagt frå seg hybelen?",
         "Korleis må {name} gje beskjed til huseigaren i {place} om at leigeforholdet skal avsluttast?"],
        ("{name} har sagt opp leigekontrakten sin i {place}.",
         "{name} har gjeve utleigaren beskjed om at hybelen i {place} skal fråflyttast."),
        "{name} må sende oppseiinga til utleigaren skriftleg.",
        "{name} kan flytte ut av hybelen i {place} same dag utan å betale meir leige."),
    da=("{name} opsiger værelset",
        "{name} lejer et værelse i {place} og vil flytte. Opsigelsesvarslet i kontrakten er {k} måneder, regnet fra den første i måneden efter, at udlejeren har modtaget opsigelsen skriftligt.",
        ["Hvor længe skal {name} betale husleje efter at have sagt værelset op?",
         "Hvordan skal {name} give besked til husværten i {place} om, at lejeforholdet skal ophøre?"],
        ("{name} har opsagt sin lejekontrakt i {place}.",
         "{name} har meddelt udlejeren, at værelset i {place} skal fraflyttes."),
        "{name} skal sende opsigelsen skriftligt til udlejeren.",
        "{name} kan flytte ud af værelset i {place} samme dag uden at betale mere leje."),
    sv=("{name} säger upp rummet",
        "{name} hyr ett rum i {place} och vill flytta. Uppsägningstiden i kontraktet är {k} månader, räknat från den första i månaden efter att hyresvärden har tagit emot uppsägningen skriftligt.",
        ["Hur länge måste {name} betala hyra efter att ha lämnat in uppsägningen av rummet?",
         "Hur ska {name} meddela fastighetsägaren i {place} att hyresförhållandet ska avslutas?"],
        ("{name} har sagt upp sitt hyreskontrakt i {place}.",
         "{name} har meddelat hyresvärden att rummet i {place} ska lämnas."),
        "{name} måste skicka uppsägningen skriftligt till hyresvärden.",
        "{name} kan flytta ut från rummet i {place} samma dag utan att betala mer hyra."),
)

# ==========================================================================
# Work (jobb)
# ==========================================================================
add("jobb", "ferie", {"name": "name", "place": "place", "v": [21, 25, 30]},
    nb=("Ferie for {name}",
        "{name} jobber som sykepleier i {place} og har {v} feriedager i året. Minst tre uker av ferien kan tas ut i sommermånedene, og ubrukte dager kan overføres til neste år etter avtale.",
        ["Hvor mye fri har {name} krav på hvert år?",
         "Kan {name} spare noe av ferien sin til året etter?"],
        ("{name} tar ut tre uker sommerferie i juli.",
         "I juli har {name} tre ukers fri fra jobben."),
        "{name} kan ta flere uker ferie om sommeren.",
        "{name} får ikke ta ut ferie i sommermånedene."),
    nn=("Ferie for {name}",
        "{name} arbeider som sjukepleiar i {place} og har {v} feriedagar i året. Minst tre veker av ferien kan takast ut i sommarmånadene, og ubrukte dagar kan overførast til neste år etter avtale.",
        ["Kor mykje fri har {name} krav på kvart år?",
         "Kan {name} spare noko av ferien sin til året etter?"],
        ("{name} tek ut tre veker sommarferie i juli.",
         "I juli har {name} tre vekers fri frå jobben."),
        "{name} kan ta fleire veker ferie om sommaren.",
        "{name} får ikkje ta ut ferie i sommarmånadene."),
    da=("Ferie for {name}",
        "{name} arbejder som sygeplejerske i {place} og har {v} feriedage om året. Mindst tre uger af ferien kan holdes i sommermånederne, og ubrugte dage kan overføres til næste år efter aftale.",
        ["Hvor meget fri har {name} ret til hvert år?",
         "Kan {name} gemme noget af sin ferie til året efter?"],
        ("{name} holder tre ugers sommerferie i juli.",
         "I juli har {name} tre uger fri fra arbejdet."),
        "{name} kan holde flere ugers ferie om sommeren.",
        "{name} må ikke holde ferie i sommermånederne."),
    sv=("Semester för {name}",
        "{name} arbetar som sjuksköterska i {place} och har {v} semesterdagar per år. Minst tre veckor av semestern kan tas ut under sommarmånaderna, och outnyttjade dagar kan flyttas till nästa år efter överenskommelse.",
        ["Hur mycket ledighet har {name} rätt till varje år?",
         "Kan {name} spara en del av semestern till året därpå?"],
        ("{name} tar ut tre veckors sommarsemester i juli.",
         "I juli är {name} ledig från jobbet i tre veckor."),
        "{name} kan ta flera veckors semester på sommaren.",
        "{name} får inte ta ut semester under sommarmånaderna."),
)

add("jobb", "stillingsannonse", {"place": "place", "dd": [1, 5, 10, 15, 20], "month": "month"},
    nb=("Ledig stilling som bibliotekar i {place}",
        "Kommunen i {place} søker en ny bibliotekar i full stilling. Søknadsfristen er {dd}. {month}, og intervjuene holdes uka etter. Lønnen følger den kommunale tariffen.",
        ["Hvor lenge kan man sende inn søknad på bibliotekjobben i {place}?",
         "Når får kandidatene til stillingen i {place} komme til samtale?"],
        ("Kommunen i {place} trenger en bibliotekar.",
         "{place} kommune lyser ut en stilling på biblioteket."),
        "Stillingen som bibliotekar i {place} er en heltidsstilling.",
        "Kommunen i {place} søker en bibliotekar i en liten deltidsstilling."),
    nn=("Ledig stilling som bibliotekar i {place}",
        "Kommunen i {place} søkjer ein ny bibliotekar i full stilling. Søknadsfristen er {dd}. {month}, og intervjua blir haldne veka etter. Løna følgjer den kommunale tariffen.",
        ["Kor lenge kan ein sende inn søknad på biblioteksjobben i {place}?",
         "Når får kandidatane til stillinga i {place} kome til samtale?"],
        ("Kommunen i {place} treng ein bibliotekar.",
         "{place} kommune lyser ut ei stilling på biblioteket."),
        "Stillinga som bibliotekar i {place} er ei heiltidsstilling.",
        "Kommunen i {place} søkjer ein bibliotekar i ei lita deltidsstilling."),
    da=("Ledig stilling som bibliotekar i {place}",
        "Kommunen i {place} søger en ny bibliotekar på fuld tid. Ansøgningsfristen er den {dd}. {month}, og samtalerne holdes ugen efter. Lønnen følger den kommunale overenskomst.",
        ["Hvor længe kan man sende en ansøgning til biblioteksjobbet i {place}?",
         "Hvornår bliver kandidaterne til stillingen i {place} inviteret til interview?"],
        ("Kommunen i {place} har brug for en bibliotekar.",
         "{place} Kommune slår en stilling op på biblioteket."),
        "Stillingen som bibliotekar i {place} er en fuldtidsstilling.",
        "Kommunen i {place} søger en bibliotekar til en lille deltidsstilling."),
    sv=("Ledig tjänst som bibliotekarie i {place}",
        "Kommunen i {place} söker en ny bibliotekarie på heltid. Sista ansökningsdag är den {dd} {month}, och intervjuerna hålls veckan efter. Lönen följer det kommunala avtalet.",
        ["Hur länge kan man skicka in en ansökan till biblioteksjobbet i {place}?",
         "När blir kandidaterna till tjänsten i {place} kallade till samtal?"],
        ("Kommunen i {place} behöver en bibliotekarie.",
         "{place} kommun utlyser en tjänst på biblioteket."),
        "Tjänsten som bibliotekarie i {place} är en heltidstjänst.",
        "Kommunen i {place} söker en bibliotekarie till en liten deltidstjänst."),
)

# ==========================================================================
# School (skole)
# ==========================================================================
add("skole", "skolestart", {"place": "place", "dd": [14, 15, 18, 19, 20], "h": [9, 10]},
    nb=("Skolestart i {place}",
        "Skolestarten for førsteklassingene i {place} er {dd}. august. Den første dagen varer fra klokka {h} til tolv, og foreldrene er velkomne til å bli med inn i klasserommet.",
        ["Hvilken dato begynner de nye elevene på første trinn i {place}?",
         "Kan mor og far følge barnet sitt inn på den første skoledagen i {place}?"],
        ("Første skoledag i {place} slutter klokka tolv.",
         "I {place} er de nye skolebarna ferdige ved middagstid den første dagen."),
        "Den første skoledagen i {place} er kortere enn en vanlig skoledag.",
        "Foreldre får ikke være med inn i klasserommet på første skoledag i {place}."),
    nn=("Skulestart i {place}",
        "Skulestarten for førsteklassingane i {place} er {dd}. august. Den første dagen varer frå klokka {h} til tolv, og foreldra er velkomne til å bli med inn i klasserommet.",
        ["Kva dato byrjar dei nye elevane på første trinn i {place}?",
         "Kan mor og far følgje barnet sitt inn den første skuledagen i {place}?"],
        ("Første skuledag i {place} sluttar klokka tolv.",
         "I {place} er dei nye skuleborna ferdige ved middagstid den første dagen."),
        "Den første skuledagen i {place} er kortare enn ein vanleg skuledag.",
        "Foreldre får ikkje vere med inn i klasserommet på første skuledag i {place}."),
    da=("Skolestart i {place}",
        "Skolestarten for børnehaveklassen i {place} er den {dd}. august. Den første dag varer fra klokken {h} til tolv, og forældrene er velkomne til at komme med ind i klasseværelset.",
        ["Hvilken dato begynder de nye elever i indskolingen i {place}?",
         "Må mor og far følge deres barn ind på den første skoledag i {place}?"],
        ("Første skoledag i {place} slutter klokken tolv.",
         "I {place} har de nye skolebørn fri ved middagstid den første dag."),
        "Den første skoledag i {place} er kortere end en almindelig skoledag.",
        "Forældre må ikke komme med ind i klasseværelset på første skoledag i {place}."),
    sv=("Skolstart i {place}",
        "Skolstarten för förskoleklassen i {place} är den {dd} augusti. Den första dagen pågår från klockan {h} till tolv, och föräldrarna är välkomna att följa med in i klassrummet.",
        ["Vilket datum börjar de nya eleverna i lågstadiet i {place}?",
         "Får mamma och pappa följa sitt barn in den första skoldagen i {place}?"],
        ("Första skoldagen i {place} slutar klockan tolv.",
         "I {place} går de nya skolbarnen hem vid lunchtid den första dagen."),
        "Den första skoldagen i {place} är kortare än en vanlig skoldag.",
        "Föräldrar får inte följa med in i klassrummet på första skoldagen i {place}."),
)

add("skole", "eksamen", {"place": "place", "day": "day", "hrs": [4, 5]},
    nb=("Matematikkeksamen i {place}",
        "Tiendeklassingene i {place} har skriftlig eksamen i matematikk på {day}. Prøven varer i {hrs} timer, og elevene får bruke kalkulator i den andre delen. Resultatet blir kjent rundt to uker senere.",
        ["Hvor lang tid har avgangselevene i {place} på matteprøven?",
         "Er lommeregner tillatt på den avsluttende regneprøven i {place}?"],
        ("Elevene i tiende klasse i {place} skal opp i matematikk på {day}.",
         "På {day} må avgangskullet i {place} ta skriftlig prøve i matte."),
        "Elevene i {place} får bruke hjelpemidler på deler av matematikkeksamenen.",
        "Kalkulator er forbudt under hele matematikkeksamenen i {place}."),
    nn=("Matematikkeksamen i {place}",
        "Tiandeklassingane i {place} har skriftleg eksamen i matematikk på {day}. Prøva varer i {hrs} timar, og elevane får bruke kalkulator i den andre delen. Resultatet blir kjent om lag to veker seinare.",
        ["Kor lang tid har avgangselevane i {place} på matteprøva?",
         "Er lommereknar tillaten på den avsluttande rekneprøva i {place}?"],
        ("Elevane i tiande klasse i {place} skal opp i matematikk på {day}.",
         "På {day} må avgangskullet i {place} ta skriftleg prøve i matte."),
        "Elevane i {place} får bruke hjelpemiddel på delar av matematikkeksamenen.",
        "Kalkulator er forboden under heile matematikkeksamenen i {place}."),
    da=("Matematikeksamen i {place}",
        "Eleverne i 9. klasse i {place} har skriftlig prøve i matematik på {day}. Prøven varer {hrs} timer, og eleverne må bruge lommeregner i anden del. Resultatet kendes cirka to uger senere.",
        ["Hvor lang tid har afgangsklassen i {place} til at løse regneopgaverne ved eksamen?",
         "Er det tilladt at have en regnemaskine med til den afsluttende eksamen i matematik i {place}?"],
        ("Eleverne i 9. klasse i {place} skal til eksamen i matematik på {day}.",
         "På {day} skal afgangsklassen i {place} op i skriftlig matematik."),
        "Eleverne i {place} må bruge hjælpemidler i en del af matematikprøven.",
        "Lommeregner er forbudt under hele matematikprøven i {place}."),
    sv=("Matematikprov i {place}",
        "Niondeklassarna i {place} har nationellt prov i matematik på {day}. Provet pågår i {hrs} timmar, och eleverna får använda miniräknare i den andra delen. Resultatet blir klart ungefär två veckor senare.",
        ["Hur lång tid har avgångseleverna i {place} på sig att skriva mattetestet?",
         "Är räknare tillåten på det avslutande matteprovet i {place}?"],
        ("Eleverna i nian i {place} skriver prov i matematik på {day}.",
         "På {day} ska avgångsklassen i {place} göra skriftligt matteprov."),
        "Eleverna i {place} får använda hjälpmedel på en del av matematikprovet.",
        "Miniräknare är förbjuden under hela matematikprovet i {place}."),
)
# ==========================================================================
# Food and cooking (mat)
# ==========================================================================
add("mat", "fiskesuppe", {"name": "name", "pp": [4, 6, 8], "g": [400, 600, 800]},
    nb=("Fiskesuppe hos {name}",
        "{name} lager fiskesuppe til {pp} personer og kjøper inn {g} gram torsk, to gulrøtter og en purreløk. Grønnsakene småkoker i kraften i ti minutter, og fisken legges i de siste fem minuttene.",
        ["Hvor mye fisk har {name} handlet til middagen?",
         "Hvor lenge skal fiskestykkene trekke i gryta til {name}?"],
        ("{name} lager suppe med torsk til middag.",
         "Til middag koker {name} en gryte med fisk og grønnsaker."),
        "Fisken i suppa til {name} skal bare koke en kort stund.",
        "{name} koker fisken i suppa i over en time."),
    nn=("Fiskesuppe hos {name}",
        "{name} lagar fiskesuppe til {pp} personar og kjøper inn {g} gram torsk, to gulrøter og ein purreløk. Grønsakene småkokar i krafta i ti minutt, og fisken blir lagd i dei siste fem minutta.",
        ["Kor mykje fisk har {name} handla til middagen?",
         "Kor lenge skal fiskestykka trekkje i gryta til {name}?"],
        ("{name} lagar suppe med torsk til middag.",
         "Til middag kokar {name} ei gryte med fisk og grønsaker."),
        "Fisken i suppa til {name} skal berre koke ei kort stund.",
        "{name} kokar fisken i suppa i over ein time."),
    da=("Fiskesuppe hos {name}",
        "{name} laver fiskesuppe til {pp} personer og køber {g} gram torsk, to gulerødder og en porre. Grøntsagerne simrer i fonden i ti minutter, og fisken kommes i de sidste fem minutter.",
        ["Hvor meget fisk har {name} handlet ind til aftensmaden?",
         "Hvor længe skal fiskestykkerne trække i gryden hos {name}?"],
        ("{name} laver suppe med torsk til aftensmad.",
         "Til aftensmad koger {name} en gryde med fisk og grøntsager."),
        "Fisken i {name}s suppe skal kun koge kort tid.",
        "{name} koger fisken i suppen i over en time."),
    sv=("Fisksoppa hos {name}",
        "{name} lagar fisksoppa till {pp} personer och köper {g} gram torsk, två morötter och en purjolök. Grönsakerna småkokar i buljongen i tio minuter, och fisken läggs i de sista fem minuterna.",
        ["Hur mycket fisk har {name} handlat till middagen?",
         "Hur länge ska fiskbitarna dra i {name}s gryta?"],
        ("{name} lagar soppa med torsk till middag.",
         "Till middag kokar {name} en gryta med fisk och grönsaker."),
        "Fisken i {name}s soppa ska bara koka en kort stund.",
        "{name} kokar fisken i soppan i över en timme."),
)

add("mat", "grovbrod", {"place": "place", "hv": [45, 60, 90], "temp": [200, 210, 220]},
    nb=("Grovbrød fra bakeriet i {place}",
        "Grovbrødet fra bakeriet i {place} heves i {hv} minutter og stekes deretter ved {temp} grader i omtrent en time. Brødet er laget med sammalt hvete og rug og inneholder ikke melk.",
        ["Hvor varm er ovnen når bakeren i {place} steker de grove brødene?",
         "Kan personer med laktoseintoleranse spise brødet fra bakeren i {place}?"],
        ("Bakeriet i {place} steker grovbrød hver morgen.",
         "Hver morgen lager bakeren i {place} ferske brød av grovt mel."),
        "Grovbrødet fra {place} er melkefritt.",
        "Grovbrødet fra bakeriet i {place} er bakt med mye melk."),
    nn=("Grovbrød frå bakeriet i {place}",
        "Grovbrødet frå bakeriet i {place} hevar i {hv} minutt og blir deretter steikt ved {temp} grader i om lag ein time. Brødet er laga med sammalen kveite og rug og inneheld ikkje mjølk.",
        ["Kor varm er omnen når bakaren i {place} steikjer dei grove brøda?",
         "Kan personar med laktoseintoleranse ete brødet frå bakaren i {place}?"],
        ("Bakeriet i {place} steikjer grovbrød kvar morgon.",
         "Kvar morgon lagar bakaren i {place} ferske brød av grovt mjøl."),
        "Grovbrødet frå {place} er mjølkefritt.",
        "Grovbrødet frå bakeriet i {place} er bakt med mykje mjølk."),
    da=("Rugbrød fra bageriet i {place}",
        "Rugbrødet fra bageriet i {place} hæver i {hv} minutter og bages derefter ved {temp} grader i cirka en time. Brødet er lavet med fuldkornshvede og rug og indeholder ikke mælk.",
        ["Hvor mange grader har ovnen, når bageren i {place} laver de grove brød?",
         "Kan personer med laktoseintolerans spise brødet fra bageren i {place}?"],
        ("Bageriet i {place} bager rugbrød hver morgen.",
         "Hver morgen laver bageren i {place} friske brød af groft mel."),
        "Rugbrødet fra {place} er mælkefrit.",
        "Rugbrødet fra bageriet i {place} er bagt med masser af mælk."),
    sv=("Grovt bröd från bageriet i {place}",
        "Det grova brödet från bageriet i {place} jäser i {hv} minuter och gräddas sedan i {temp} grader i ungefär en timme. Brödet är bakat på fullkornsvete och råg och innehåller ingen mjölk.",
        ["Hur många grader har ugnen när bagaren i {place} gör sina fullkornslimpor?",
         "Kan personer med laktosintolerans äta brödet från bagaren i {place}?"],
        ("Bageriet i {place} bakar grovt bröd varje morgon.",
         "Varje morgon gör bagaren i {place} färska limpor av grovt mjöl."),
        "Det grova brödet från {place} är mjölkfritt.",
        "Det grova brödet från bageriet i {place} är bakat med mycket mjölk."),
)

# ==========================================================================
# Outdoor life (friluftsliv)
# ==========================================================================
add("friluftsliv", "turisthytte", {"place": "place", "km": [6, 8, 11, 14], "beds": [12, 18, 24, 30]},
    nb=("Turisthytta over {place}",
        "Turisthytta ovenfor {place} ligger {km} kilometer fra parkeringsplassen. Hytta har {beds} sengeplasser og er selvbetjent, så gjestene må ha med egen mat eller kjøpe fra proviantlageret.",
        ["Hvor langt må jeg gå for å komme fram til fjellstua over {place}?",
         "Serveres det middag på den ubetjente hytta i fjellet ved {place}?"],
        ("Turisthytta over {place} har plass til {beds} overnattingsgjester.",
         "Det er {beds} senger på fjellhytta ovenfor {place}."),
        "På hytta over {place} må turgåerne lage maten sin selv.",
        "Turisthytta over {place} ligger rett ved parkeringsplassen."),
    nn=("Turisthytta over {place}",
        "Turisthytta ovanfor {place} ligg {km} kilometer frå parkeringsplassen. Hytta har {beds} sengeplassar og er sjølvbetent, så gjestane må ha med eigen mat eller kjøpe frå provianten.",
        ["Kor langt må eg gå for å kome fram til fjellstova over {place}?",
         "Blir det servert middag på den ubetente hytta i fjellet ved {place}?"],
        ("Turisthytta over {place} har plass til {beds} overnattingsgjester.",
         "Det er {beds} senger på fjellhytta ovanfor {place}."),
        "På hytta over {place} må turgåarane lage maten sin sjølve.",
        "Turisthytta over {place} ligg rett ved parkeringsplassen."),
    da=("Shelterpladsen ved {place}",
        "Shelterpladsen i skoven uden for {place} ligger {km} kilometer fra parkeringspladsen. Der er {beds} sovepladser i shelterne, og gæsterne skal selv medbringe mad og sovepose.",
        ["Hvor langt skal jeg gå for at nå overnatningsstedet i skoven ved {place}?",
         "Bliver der serveret aftensmad ved bivuakpladsen nær {place}?"],
        ("Shelterpladsen ved {place} har plads til {beds} overnattende gæster.",
         "Der er {beds} liggepladser i læskurene uden for {place}."),
        "Ved shelterpladsen nær {place} må de besøgende selv lave deres mad.",
        "Shelterpladsen ved {place} ligger lige ved parkeringspladsen."),
    sv=("Vandrarstugan utanför {place}",
        "Vandrarstugan i skogen utanför {place} ligger {km} kilometer från parkeringen. Stugan har {beds} bäddar och är obemannad, så gästerna måste ta med egen mat.",
        ["Hur långt måste jag vandra för att nå övernattningsstugan utanför {place}?",
         "Serveras det middag i den obemannade stugan i skogen vid {place}?"],
        ("Stugan utanför {place} har plats för {beds} övernattande gäster.",
         "Det finns {beds} sängar i vandrarstugan utanför {place}."),
        "I stugan utanför {place} måste vandrarna laga sin mat själva.",
        "Vandrarstugan utanför {place} ligger precis vid parkeringen."),
)

add("friluftsliv", "allemannsrett", {"place": "place"},
    nb=("Telting og bål rundt {place}",
        "Etter allemannsretten kan du sette opp telt i utmarka rundt {place} i inntil to netter på samme sted. Teltet må stå minst 150 meter fra nærmeste bebodde hus eller hytte, og bål i skogen er forbudt fra 15. april til 15. september.",
        ["Hvor nær et bolighus kan jeg slå opp teltet mitt i skogen ved {place}?",
         "Er det lov å tenne leirbål i marka rundt {place} om sommeren?"],
        ("I marka rundt {place} kan man overnatte i telt i to netter.",
         "Friluftsfolk får campe to døgn på samme plass i utmarka ved {place}."),
        "Det er ikke tillatt å gjøre opp bål i skogen ved {place} i juli.",
        "I marka rundt {place} kan man fyre bål hele sommeren."),
    nn=("Telting og bål rundt {place}",
        "Etter allemannsretten kan du setje opp telt i utmarka rundt {place} i inntil to netter på same stad. Teltet må stå minst 150 meter frå næraste bebudde hus eller hytte, og bål i skogen er forbode frå 15. april til 15. september.",
        ["Kor nær eit bustadhus kan eg slå opp teltet mitt i skogen ved {place}?",
         "Er det lov å tenne leirbål i marka rundt {place} om sommaren?"],
        ("I marka rundt {place} kan ein overnatte i telt i to netter.",
         "Friluftsfolk får campe to døgn på same plass i utmarka ved {place}."),
        "Det er ikkje tillate å gjere opp bål i skogen ved {place} i juli.",
        "I marka rundt {place} kan ein fyre bål heile sommaren."),
    da=("Telt og bål i skovene ved {place}",
        "I de statsejede skove omkring {place} må man slå et lille telt op for én nat uden at spørge om lov. Teltet skal stå mindst 150 meter fra beboede huse, og bål må kun tændes på de anviste bålpladser.",
        ["Hvor tæt på et hus må jeg sætte mit telt op i skoven ved {place}?",
         "Er det tilladt at lave lejrbål hvor som helst i naturen omkring {place}?"],
        ("I skovene ved {place} kan man sove i telt én nat.",
         "Friluftsfolk må campere en enkelt nat i statsskovene uden for {place}."),
        "Man behøver ingen tilladelse for at overnatte én nat i telt i statsskovene ved {place}.",
        "Det er forbudt at overnatte i telt i alle skove omkring {place}."),
    sv=("Tältning och eld kring {place}",
        "Enligt allemansrätten får du tälta en eller två nätter på samma plats i naturen runt {place}. Tältet ska stå en bra bit från närmaste bostadshus, och vid torka kan kommunen införa eldningsförbud.",
        ["Hur länge får jag slå upp mitt tält på samma ställe i skogen vid {place}?",
         "Kan det bli förbjudet att göra upp eld i naturen kring {place} när det är torrt?"],
        ("I naturen runt {place} kan man övernatta i tält i två nätter.",
         "Friluftsmänniskor får campa två dygn på samma ställe i markerna vid {place}."),
        "Vid torka kan man förbjudas att elda i skogen vid {place}.",
        "I naturen runt {place} får man aldrig sova i tält."),
)

# ==========================================================================
# Winter sports (ski)
# ==========================================================================
add("ski", "lysloype", {"place": "place", "km": [3, 5, 7, 9], "h": [21, 22, 23]},
    nb=("Lysløypa i {place}",
        "Lysløypa i {place} er {km} kilometer lang og er åpen til klokka {h} hver kveld. Løypemaskinen preparerer sporene etter nytt snøfall, og det er gratis å gå på ski der.",
        ["Hvor lenge på kvelden er det lys i skisporet i {place}?",
         "Må jeg betale for å bruke den opplyste langrennstraseen i {place}?"],
        ("Lysløypa i {place} måler {km} kilometer.",
         "Det opplyste skisporet i {place} har en lengde på {km} km."),
        "Skiløperne i {place} kan gå i lysløypa uten å betale.",
        "Det koster penger å gå i lysløypa i {place}."),
    nn=("Lysløypa i {place}",
        "Lysløypa i {place} er {km} kilometer lang og er open til klokka {h} kvar kveld. Løypemaskina preparerer spora etter nytt snøfall, og det er gratis å gå på ski der.",
        ["Kor lenge om kvelden er det lys i skisporet i {place}?",
         "Må eg betale for å bruke den opplyste langrennstraseen i {place}?"],
        ("Lysløypa i {place} måler {km} kilometer.",
         "Det opplyste skisporet i {place} har ei lengd på {km} km."),
        "Skiløparane i {place} kan gå i lysløypa utan å betale.",
        "Det kostar pengar å gå i lysløypa i {place}."),
    da=("Skøjtebanen i {place}",
        "Skøjtebanen på torvet i {place} holder åbent til klokken {h} hver aften i vintersæsonen. Det er gratis at løbe på skøjter, og isen bliver jævnet med en ismaskine flere gange om dagen.",
        ["Hvor sent om aftenen kan man løbe på isen midt i {place}?",
         "Skal jeg betale for at bruge isbanen på pladsen i {place}?"],
        ("Skøjtebanen i {place} lukker klokken {h}.",
         "Isbanen på torvet i {place} er åben indtil kl. {h} om aftenen."),
        "Besøgende i {place} kan løbe på skøjter på torvet uden at betale.",
        "Det koster penge at løbe på skøjter på torvet i {place}."),
    sv=("Elljusspåret i {place}",
        "Elljusspåret i {place} är {km} kilometer långt och är tänt till klockan {h} varje kväll. Pistmaskinen preparerar spåren efter nytt snöfall, och det är gratis att åka skidor där.",
        ["Hur sent på kvällen är skidspåret i {place} belyst?",
         "Måste jag betala för att använda det upplysta längdspåret i {place}?"],
        ("Elljusspåret i {place} mäter {km} kilometer.",
         "Det upplysta skidspåret i {place} har en längd på {km} km."),
        "Skidåkarna i {place} kan åka i elljusspåret utan att betala.",
        "Det kostar pengar att åka i elljusspåret i {place}."),
)

add("ski", "skiutleie", {"place": "place", "p": [150, 200, 250, 300], "a": [7, 10, 12]},
    nb=("Skiutleie i {place}",
        "Skiutleien i {place} leier ut komplett langrennsutstyr for {p} kroner per døgn. Barn under {a} år får låne ski gratis når en voksen leier samtidig, og utstyret må leveres tilbake innen klokka 18.",
        ["Hva koster det å låne ski, staver og støvler for en dag i {place}?",
         "Når må de leide skiene være tilbake i butikken i {place}?"],
        ("En dag med leid langrennsutstyr i {place} koster {p} kroner.",
         "For {p} kroner kan man låne et fullt sett langrennsski i {place} i et døgn."),
        "Små barn kan låne ski uten kostnad i {place} når en voksen også leier.",
        "Skiutleien i {place} tar full pris for barn i alle aldre."),
    nn=("Skiutleige i {place}",
        "Skiutleiga i {place} leiger ut komplett langrennsutstyr for {p} kroner per døgn. Born under {a} år får låne ski gratis når ein vaksen leiger samstundes, og utstyret må leverast tilbake innan klokka 18.",
        ["Kva kostar det å låne ski, stavar og støvlar for ein dag i {place}?",
         "Når må dei leigde skia vere tilbake i butikken i {place}?"],
        ("Ein dag med leigd langrennsutstyr i {place} kostar {p} kroner.",
         "For {p} kroner kan ein låne eit fullt sett langrennsski i {place} i eit døgn."),
        "Små born kan låne ski utan kostnad i {place} når ein vaksen òg leiger.",
        "Skiutleiga i {place} tek full pris for born i alle aldrar."),
    da=("Skiudlejning i {place}",
        "Sportsbutikken i {place} udlejer komplet skiudstyr til vinterferien for {p} kroner per døgn. Børn under {a} år låner gratis ski, når en voksen lejer samtidig, og udstyret skal afleveres igen inden klokken 18 på sidste lejedag.",
        ["Hvad koster det at låne ski, stave og støvler for en dag i {place}?",
         "Hvornår skal de lejede ski være tilbage i butikken i {place}?"],
        ("En dags leje af skiudstyr i {place} koster {p} kroner.",
         "For {p} kroner kan man låne et helt sæt ski i {place} i et døgn."),
        "Små børn kan låne ski uden beregning i {place}, når en voksen også lejer.",
        "Sportsbutikken i {place} tager fuld pris for børn i alle aldre."),
    sv=("Skiduthyrning i {place}",
        "Skiduthyrningen i {place} hyr ut komplett längdutrustning för {p} kronor per dygn. Barn under {a} år får låna skidor gratis när en vuxen hyr samtidigt, och utrustningen måste lämnas tillbaka före klockan 18.",
        ["Vad kostar det att låna skidor, stavar och pjäxor en dag i {place}?",
         "När måste de hyrda skidorna vara tillbaka i butiken i {place}?"],
        ("En dag med hyrd längdutrustning i {place} kostar {p} kronor.",
         "För {p} kronor kan man låna ett helt set längdskidor i {place} under ett dygn."),
        "Små barn kan låna skidor utan kostnad i {place} när en vuxen också hyr.",
        "Skiduthyrningen i {place} tar fullt pris för barn i alla åldrar."),
)

# ==========================================================================
# Banking (bank)
# ==========================================================================
add("bank", "bankkort", {"name": "name", "place": "place", "day": "day", "d": [3, 5, 7]},
    nb=("{name} sperret bankkortet",
        "{name} mistet bankkortet sitt i {place} på {day} og sperret det straks i nettbanken. Et nytt kort blir sendt i posten og kommer vanligvis fram innen {d} virkedager. Kortet kan også sperres ved å ringe bankens døgnåpne telefon.",
        ["Hvor lenge må {name} vente på et erstatningskort fra banken?",
         "Hva gjorde {name} etter å ha mistet betalingskortet i {place}?"],
        ("{name} sperret bankkortet på {day}.",
         "På {day} stengte {name} betalingskortet sitt."),
        "{name} får tilsendt et nytt kort fra banken.",
        "{name} må hente det nye bankkortet personlig i {place} samme dag."),
    nn=("{name} sperra bankkortet",
        "{name} mista bankkortet sitt i {place} på {day} og sperra det straks i nettbanken. Eit nytt kort blir sendt i posten og kjem vanlegvis fram innan {d} vyrkedagar. Kortet kan òg sperrast ved å ringje den døgnopne telefonen til banken.",
        ["Kor lenge må {name} vente på eit erstatningskort frå banken?",
         "Kva gjorde {name} etter å ha mista betalingskortet i {place}?"],
        ("{name} sperra bankkortet på {day}.",
         "På {day} stengde {name} betalingskortet sitt."),
        "{name} får tilsendt eit nytt kort frå banken.",
        "{name} må hente det nye bankkortet personleg i {place} same dag."),
    da=("{name} spærrede betalingskortet",
        "{name} mistede sit betalingskort i {place} om {day}en og spærrede det straks i netbanken. Et nyt kort bliver sendt med posten og kommer normalt frem inden for {d} hverdage. Kortet kan også spærres ved at ringe til bankens døgnåbne telefon.",
        ["Hvor længe skal {name} vente på et erstatningskort fra banken?",
         "Hvad gjorde {name} efter at have tabt sit hævekort i {place}?"],
        ("{name} spærrede betalingskortet om {day}en.",
         "Om {day}en lukkede {name} sit kort i banken."),
        "{name} får tilsendt et nyt kort fra banken.",
        "{name} skal hente det nye betalingskort personligt i {place} samme dag."),
    sv=("{name} spärrade bankkortet",
        "{name} tappade bort sitt bankkort i {place} i {day}s och spärrade det genast i internetbanken. Ett nytt kort skickas med posten och kommer normalt fram inom {d} arbetsdagar. Kortet kan också spärras via bankens spärrtjänst, som är öppen dygnet runt.",
        ["Hur länge måste {name} vänta på ett ersättningskort från banken?",
         "Vad gjorde {name} efter att ha förlorat betalkortet i {place}?"],
        ("{name} spärrade bankkortet i {day}s.",
         "I {day}s stängde {name} av sitt kort."),
        "{name} får ett nytt kort skickat från banken.",
        "{name} måste hämta det nya bankkortet personligen i {place} samma dag."),
)

add("bank", "boliglan", {"place": "place", "r": ["4,2", "4,5", "4,9", "5,1"], "a": [30, 34, 35]},
    nb=("Boliglån for unge i {place}",
        "Banken i {place} tilbyr boliglån med en rente på {r} prosent for kunder under {a} år. Lånet kan utgjøre inntil 85 prosent av boligens verdi, så kjøperen må ha minst 15 prosent egenkapital.",
        ["Hvilken rentesats får unge låntakere for huslån i {place}?",
         "Hvor mye må jeg ha spart selv for å kjøpe bolig med lån fra banken i {place}?"],
        ("Banken i {place} gir unge kunder en rente på {r} prosent.",
         "Boliglånsrenten for ungdom hos banken i {place} er {r} %."),
        "Man må ha egne oppsparte midler for å få boliglån i banken i {place}.",
        "Banken i {place} finansierer hele kjøpesummen uten egenkapital."),
    nn=("Bustadlån for unge i {place}",
        "Banken i {place} tilbyr bustadlån med ei rente på {r} prosent for kundar under {a} år. Lånet kan utgjere inntil 85 prosent av verdien på bustaden, så kjøparen må ha minst 15 prosent eigenkapital.",
        ["Kva rentesats får unge låntakarar for huslån i {place}?",
         "Kor mykje må eg ha spart sjølv for å kjøpe bustad med lån frå banken i {place}?"],
        ("Banken i {place} gjev unge kundar ei rente på {r} prosent.",
         "Bustadlånsrenta for ungdom hos banken i {place} er {r} %."),
        "Ein må ha eigne oppsparte midlar for å få bustadlån i banken i {place}.",
        "Banken i {place} finansierer heile kjøpesummen utan eigenkapital."),
    da=("Boliglån til unge i {place}",
        "Banken i {place} tilbyder boliglån med en rente på {r} procent til kunder under {a} år. Lånet kan udgøre op til 95 procent af boligens værdi, så køberen skal have mindst 5 procent i udbetaling.",
        ["Hvilken rentesats får unge låntagere på huslån i {place}?",
         "Hvor meget skal jeg selv have sparet op for at købe bolig med lån fra banken i {place}?"],
        ("Banken i {place} giver unge kunder en rente på {r} procent.",
         "Boliglånsrenten for unge hos banken i {place} er {r} %."),
        "Man skal have egne opsparede midler for at få boliglån i banken i {place}.",
        "Banken i {place} finansierer hele købesummen uden udbetaling."),
    sv=("Bolån för unga i {place}",
        "Banken i {place} erbjuder bolån med en ränta på {r} procent för kunder under {a} år. Lånet kan uppgå till 85 procent av bostadens värde, så köparen måste ha minst 15 procent i kontantinsats.",
        ["Vilken räntesats får unga låntagare för huslån i {place}?",
         "Hur mycket måste jag ha sparat själv för att köpa en bostad med lån från banken i {place}?"],
        ("Banken i {place} ger unga kunder en ränta på {r} procent.",
         "Bolåneräntan för unga hos banken i {place} är {r} %."),
        "Man måste ha egna sparade pengar för att få bolån i banken i {place}.",
        "Banken i {place} finansierar hela köpesumman utan kontantinsats."),
)

# ==========================================================================
# Taxes (skatt)
# ==========================================================================
add("skatt", "skattemelding", {"name": "name", "place": "place", "km": [40, 55, 70, 90]},
    nb=("Skattemeldingen til {name}",
        "Skattemeldingen til {name} i {place} må leveres innen 30. april. {name} har {km} kilometer til jobben hver vei og kan derfor få fradrag for arbeidsreiser. Etter at meldingen er levert, kommer skatteoppgjøret i løpet av sommeren.",
        ["Hva er fristen for {name} til å sende inn opplysningene til skattemyndighetene?",
         "Hvorfor kan {name} trekke fra utgifter til pendling på skatten?"],
        ("{name} pendler {km} kilometer til arbeidsplassen.",
         "Arbeidsplassen til {name} ligger {km} km hjemmefra."),
        "{name} kan få lavere skatt på grunn av lang reisevei.",
        "{name} bor like ved jobben og har ingen reisekostnader."),
    nn=("Skattemeldinga til {name}",
        "Skattemeldinga til {name} i {place} må leverast innan 30. april. {name} har {km} kilometer til jobben kvar veg og kan difor få frådrag for arbeidsreiser. Når meldinga er levert, kjem skatteoppgjeret i løpet av sommaren.",
        ["Kva er fristen for {name} til å sende inn opplysningane til skattestyresmaktene?",
         "Kvifor kan {name} trekkje frå utgifter til pendling på skatten?"],
        ("{name} pendlar {km} kilometer til arbeidsplassen.",
         "Arbeidsplassen til {name} ligg {km} km heimanfrå."),
        "{name} kan få lågare skatt på grunn av lang reiseveg.",
        "{name} bur like ved jobben og har ingen reisekostnader."),
    da=("Årsopgørelsen for {name}",
        "{name} i {place} skal tjekke sin årsopgørelse og rette den senest den 1. maj. {name} har {km} kilometer til arbejdet hver vej og kan derfor få befordringsfradrag. Når oplysningerne er rettet, beregner skattemyndighederne en ny opgørelse.",
        ["Hvad er fristen for {name} til at rette oplysningerne hos Skattestyrelsen?",
         "Hvorfor kan {name} trække udgifter til pendling fra i skat?"],
        ("{name} pendler {km} kilometer til arbejdspladsen.",
         "Arbejdspladsen for {name} ligger {km} km hjemmefra."),
        "{name} kan få lavere skat på grund af lang transportvej.",
        "{name} bor lige ved arbejdet og har ingen transportudgifter."),
    sv=("Deklarationen för {name}",
        "{name} i {place} ska lämna sin inkomstdeklaration senast den 2 maj. {name} har {km} kilometer till jobbet varje väg och kan därför få avdrag för resor till och från arbetet. När deklarationen är inlämnad kommer slutskattebeskedet under sommaren eller hösten.",
        ["Vad är sista dagen för {name} att skicka in uppgifterna till Skatteverket?",
         "Varför kan {name} dra av kostnader för pendling på skatten?"],
        ("{name} pendlar {km} kilometer till arbetsplatsen.",
         "Arbetsplatsen för {name} ligger {km} km hemifrån."),
        "{name} kan få lägre skatt på grund av lång resväg.",
        "{name} bor precis vid jobbet och har inga resekostnader."),
)

add("skatt", "restskatt", {"name": "name", "place": "place", "rs": [2400, 5800, 9100, 12300]},
    nb=("Restskatt for {name}",
        "{name} i {place} fikk {rs} kroner i restskatt i år. Beløpet kan betales i to like store avdrag, og det første forfaller tre uker etter at skatteoppgjøret er klart. Betaler man for sent, påløper forsinkelsesrenter.",
        ["Hvor mye må {name} betale ekstra til skatteetaten etter årets oppgjør?",
         "Kan {name} dele opp innbetalingen av det skyldige skattebeløpet?"],
        ("{name} skylder {rs} kroner i skatt.",
         "Etter skatteoppgjøret må {name} betale inn {rs} kr."),
        "{name} har betalt for lite skatt i løpet av året.",
        "{name} får penger tilbake på skatten i år."),
    nn=("Restskatt for {name}",
        "{name} i {place} fekk {rs} kroner i restskatt i år. Beløpet kan betalast i to like store avdrag, og det første forfell tre veker etter at skatteoppgjeret er klart. Betaler ein for seint, kjem det forseinkingsrenter.",
        ["Kor mykje må {name} betale ekstra til skatteetaten etter oppgjeret i år?",
         "Kan {name} dele opp innbetalinga av det skuldige skattebeløpet?"],
        ("{name} skuldar {rs} kroner i skatt.",
         "Etter skatteoppgjeret må {name} betale inn {rs} kr."),
        "{name} har betalt for lite skatt i løpet av året.",
        "{name} får pengar tilbake på skatten i år."),
    da=("Restskat for {name}",
        "{name} i {place} fik {rs} kroner i restskat i år. Beløbet kan afdrages via næste års forskudsskat, men betaler man det hele inden 1. juli, slipper man dagstillægget.",
        ["Hvor meget skal {name} betale ekstra til skattevæsenet efter årets opgørelse?",
         "Kan {name} dele indbetalingen af det skyldige skattebeløb op?"],
        ("{name} skylder {rs} kroner i skat.",
         "Efter årsopgørelsen skal {name} indbetale {rs} kr."),
        "{name} har betalt for lidt i skat i løbet af året.",
        "{name} får penge tilbage i skat i år."),
    sv=("Kvarskatt för {name}",
        "{name} i {place} fick {rs} kronor i kvarskatt i år. Beloppet ska vara betalt senast på förfallodagen, men den som vill sprida ut betalningen kan ansöka om anstånd. Betalar man för sent tillkommer kostnadsränta.",
        ["Hur mycket måste {name} betala extra till skattemyndigheten efter årets beslut?",
         "Kan {name} få längre tid på sig att betala det skyldiga skattebeloppet?"],
        ("{name} är skyldig {rs} kronor i skatt.",
         "Efter slutskattebeskedet måste {name} betala in {rs} kr."),
        "{name} har betalat för lite skatt under året.",
        "{name} får pengar tillbaka på skatten i år."),
)

# ==========================================================================
# Parental leave and family benefits (permisjon)
# ==========================================================================
add("familie", "foreldrepermisjon", {"name": "name", "month": "month", "wk": [49, 59]},
    nb=("Foreldrepermisjon for {name}",
        "{name} og partneren fikk barn i {month} og har til sammen {wk} uker med foreldrepenger. Hver av foreldrene har en egen kvote på 15 uker, mens resten av perioden kan fordeles fritt mellom dem.",
        ["Hvor lenge kan familien til {name} være hjemme med den nyfødte med støtte fra staten?",
         "Kan {name} overføre alle ukene med permisjon til den andre forelderen?"],
        ("{name} ble forelder i {month}.",
         "I {month} fikk {name} og samboeren en baby."),
        "Både {name} og partneren har uker som er reservert for hver av dem.",
        "Hele perioden med foreldrepenger kan tas ut av {name} alene."),
    nn=("Foreldrepermisjon for {name}",
        "{name} og partnaren fekk barn i {month} og har til saman {wk} veker med foreldrepengar. Kvar av foreldra har ein eigen kvote på 15 veker, medan resten av perioden kan fordelast fritt mellom dei.",
        ["Kor lenge kan familien til {name} vere heime med den nyfødde med stønad frå staten?",
         "Kan {name} overføre alle vekene med permisjon til den andre forelderen?"],
        ("{name} vart forelder i {month}.",
         "I {month} fekk {name} og sambuaren ein baby."),
        "Både {name} og partnaren har veker som er reserverte for kvar av dei.",
        "Heile perioden med foreldrepengar kan takast ut av {name} åleine."),
    da=("Barselsorlov for {name}",
        "{name} og partneren fik barn i {month} og har tilsammen {wk} ugers orlov med barselsdagpenge. Hver forælder har 11 øremærkede uger, mens resten af perioden kan fordeles frit mellem dem.",
        ["Hvor længe kan {name}s familie blive hjemme med den nyfødte med støtte fra det offentlige?",
         "Kan {name} overføre alle orlovsugerne til den anden forælder?"],
        ("{name} blev forælder i {month}.",
         "I {month} fik {name} og kæresten en baby."),
        "Både {name} og partneren har uger, der er øremærket til hver af dem.",
        "Hele orlovsperioden kan tages af {name} alene."),
    sv=("Föräldraledighet för {name}",
        "{name} och partnern fick barn i {month} och har tillsammans 480 dagar med föräldrapenning. Vardera föräldern har 90 reserverade dagar som inte kan överlåtas, medan resten kan fördelas fritt mellan dem.",
        ["Hur länge kan {name}s familj vara hemma med den nyfödda med ersättning från staten?",
         "Kan {name} föra över alla ledighetsdagar till den andra föräldern?"],
        ("{name} blev förälder i {month}.",
         "I {month} fick {name} och sambon en bebis."),
        "Både {name} och partnern har dagar som är reserverade för var och en av dem.",
        "Hela perioden med föräldrapenning kan tas ut av {name} ensam."),
)

add("familie", "barnetrygd", {"name": "name", "place": "place", "bt": [1510, 1600, 1766, 1800]},
    nb=("Barnetrygd til {name}",
        "{name} i {place} mottar barnetrygd på {bt} kroner i måneden for hvert av barna sine under seks år. Pengene utbetales automatisk den siste virkedagen i måneden, og det er ikke nødvendig å søke når barnet er født i Norge.",
        ["Hvor mye støtte får {name} fra staten for hvert av de små barna sine per måned?",
         "Må {name} fylle ut et skjema for å få utbetalingen for barna?"],
        ("{name} får {bt} kroner i barnetrygd per barn.",
         "For hvert barn utbetales det {bt} kr i måneden til {name}."),
        "{name} får barnetrygden uten å sende inn en søknad.",
        "{name} må søke på nytt hver måned for å få barnetrygd."),
    nn=("Barnetrygd til {name}",
        "{name} i {place} får barnetrygd på {bt} kroner i månaden for kvart av borna sine under seks år. Pengane blir betalte ut automatisk den siste vyrkedagen i månaden, og det er ikkje naudsynt å søkje når barnet er fødd i Noreg.",
        ["Kor mykje stønad får {name} frå staten for kvart av dei små borna sine per månad?",
         "Må {name} fylle ut eit skjema for å få utbetalinga for borna?"],
        ("{name} får {bt} kroner i barnetrygd per barn.",
         "For kvart barn blir det utbetalt {bt} kr i månaden til {name}."),
        "{name} får barnetrygda utan å sende inn ein søknad.",
        "{name} må søkje på nytt kvar månad for å få barnetrygd."),
    da=("Børnecheck til {name}",
        "{name} i {place} modtager børnecheck på {bt} kroner i kvartalet for hvert af sine børn under tre år. Pengene udbetales automatisk, og man behøver ikke at søge, når barnet er født i Danmark.",
        ["Hvor meget støtte får {name} fra staten for hvert af de små børn?",
         "Skal {name} udfylde en blanket for at få udbetalingen til børnene?"],
        ("{name} får {bt} kroner i børnecheck per barn.",
         "For hvert barn udbetales der {bt} kr til {name} hvert kvartal."),
        "{name} får børnechecken uden at indsende en ansøgning.",
        "{name} skal søge på ny hver måned for at få børnecheck."),
    sv=("Barnbidrag till {name}",
        "{name} i {place} får barnbidrag på {bt} kronor i månaden för vart och ett av sina barn. Pengarna betalas ut automatiskt den 20:e varje månad, och man behöver inte ansöka när barnet är fött i Sverige.",
        ["Hur mycket pengar får {name} av Försäkringskassan för varje barn varje månad?",
         "Måste {name} fylla i en blankett för att få utbetalningen för barnen?"],
        ("{name} får {bt} kronor i barnbidrag per barn.",
         "För varje barn betalas {bt} kr ut till {name} varje månad."),
        "{name} får barnbidraget utan att skicka in någon ansökan.",
        "{name} måste ansöka på nytt varje månad för att få barnbidrag."),
)
# ==========================================================================
# Libraries (bibliotek)
# ==========================================================================
add("bibliotek", "utlanstid", {"place": "place", "u": [3, 4]},
    nb=("Utlån på biblioteket i {place}",
        "Folkebiblioteket i {place} lar deg låne bøker i {u} uker om gangen. Lånet kan fornyes to ganger i appen dersom ingen andre har reservert boka, og det er ingen gebyrer for barn.",
        ["Hvor lenge kan jeg beholde en roman fra biblioteket i {place}?",
         "Må barn betale bot hvis de leverer for sent på bibliotekene i {place}?"],
        ("Biblioteket i {place} har en utlånstid på {u} uker.",
         "I {place} får lånerne ha bøkene hjemme i {u} uker."),
        "Lånetiden på biblioteket i {place} kan forlenges.",
        "Lån fra biblioteket i {place} kan aldri fornyes."),
    nn=("Utlån på biblioteket i {place}",
        "Folkebiblioteket i {place} lèt deg låne bøker i {u} veker om gongen. Lånet kan fornyast to gonger i appen dersom ingen andre har reservert boka, og det er ingen gebyr for born.",
        ["Kor lenge kan eg behalde ein roman frå biblioteket i {place}?",
         "Må born betale bot dersom dei leverer for seint på biblioteka i {place}?"],
        ("Biblioteket i {place} har ei utlånstid på {u} veker.",
         "I {place} får lånarane ha bøkene heime i {u} veker."),
        "Lånetida på biblioteket i {place} kan forlengjast.",
        "Lån frå biblioteket i {place} kan aldri fornyast."),
    da=("Udlån på biblioteket i {place}",
        "Folkebiblioteket i {place} lader dig låne bøger i {u} uger ad gangen. Lånet kan fornyes to gange i appen, hvis ingen andre har reserveret bogen, og der er ingen gebyrer for børn.",
        ["Hvor længe må jeg beholde en roman fra biblioteket i {place}?",
         "Skal børn betale bøde, hvis de afleverer for sent på bibliotekerne i {place}?"],
        ("Biblioteket i {place} har en udlånstid på {u} uger.",
         "I {place} må lånerne have bøgerne hjemme i {u} uger."),
        "Lånetiden på biblioteket i {place} kan forlænges.",
        "Lån fra biblioteket i {place} kan aldrig fornyes."),
    sv=("Utlån på biblioteket i {place}",
        "Stadsbiblioteket i {place} låter dig låna böcker i {u} veckor åt gången. Lånet kan förnyas två gånger i appen om ingen annan har reserverat boken, och det finns inga avgifter för barn.",
        ["Hur länge får jag behålla en roman från biblioteket i {place}?",
         "Måste barn betala böter om de lämnar tillbaka för sent på biblioteken i {place}?"],
        ("Biblioteket i {place} har en lånetid på {u} veckor.",
         "I {place} får låntagarna ha böckerna hemma i {u} veckor."),
        "Lånetiden på biblioteket i {place} kan förlängas.",
        "Lån från biblioteket i {place} kan aldrig förnyas."),
)

add("bibliotek", "meraapent", {"place": "place", "h1": [6, 7], "h2": [22, 23], "a": [15, 16, 18]},
    nb=("Meråpent bibliotek i {place}",
        "Biblioteket i {place} er meråpent fra klokka {h1} til {h2} alle dager, også når det ikke er ansatte til stede. Du kommer inn med lånekortet og en firesifret PIN-kode, men må være over {a} år.",
        ["Kan jeg bruke biblioteket i {place} tidlig om morgenen uten at personalet er på jobb?",
         "Hva trenger jeg for å låse meg inn på bibliotekfilialen i {place} utenom betjent tid?"],
        ("Det meråpne biblioteket i {place} holder åpent til klokka {h2}.",
         "I {place} kan lånere bruke bibliotekets lokaler helt til kl. {h2}."),
        "Biblioteket i {place} kan brukes selv om ingen bibliotekarer er på jobb.",
        "Barn helt ned i skolealder kan bruke det meråpne biblioteket i {place} alene."),
    nn=("Meirope bibliotek i {place}",
        "Biblioteket i {place} er meirope frå klokka {h1} til {h2} alle dagar, også når det ikkje er tilsette til stades. Du kjem inn med lånekortet og ein firesifra PIN-kode, men må vere over {a} år.",
        ["Kan eg bruke biblioteket i {place} tidleg om morgonen utan at personalet er på jobb?",
         "Kva treng eg for å låse meg inn på bibliotekfilialen i {place} utanom betent tid?"],
        ("Det meiropne biblioteket i {place} held ope til klokka {h2}.",
         "I {place} kan lånarar bruke lokala til biblioteket heilt til kl. {h2}."),
        "Biblioteket i {place} kan brukast sjølv om ingen bibliotekarar er på jobb.",
        "Born heilt ned i skulealder kan bruke det meiropne biblioteket i {place} åleine."),
    da=("Selvbetjent bibliotek i {place}",
        "Biblioteket i {place} er selvbetjent fra klokken {h1} til {h2} alle dage, også når der ikke er personale til stede. Du kommer ind med sundhedskortet og en firecifret pinkode, men skal være over {a} år.",
        ["Kan jeg bruge biblioteket i {place} tidligt om morgenen, uden at de ansatte er på arbejde?",
         "Hvad skal jeg bruge for at låse mig ind i bibliotekets filial i {place} uden for den betjente tid?"],
        ("Det selvbetjente bibliotek i {place} har åbent til klokken {h2}.",
         "I {place} kan lånerne bruge bibliotekets lokaler helt til kl. {h2}."),
        "Biblioteket i {place} kan benyttes, selv om ingen bibliotekarer er på arbejde.",
        "Børn helt ned i skolealderen kan bruge det selvbetjente bibliotek i {place} alene."),
    sv=("Meröppet bibliotek i {place}",
        "Biblioteket i {place} är meröppet från klockan {h1} till {h2} alla dagar, även när ingen personal är på plats. Du kommer in med lånekortet och en fyrsiffrig pinkod, men måste vara över {a} år.",
        ["Kan jag använda biblioteket i {place} tidigt på morgonen utan att personalen är i tjänst?",
         "Vad behöver jag för att låsa upp biblioteksfilialen i {place} utanför bemannad tid?"],
        ("Det meröppna biblioteket i {place} har öppet till klockan {h2}.",
         "I {place} kan låntagare använda bibliotekets lokaler ända till kl. {h2}."),
        "Biblioteket i {place} kan användas även om inga bibliotekarier är i tjänst.",
        "Barn ända ner i skolåldern kan använda det meröppna biblioteket i {place} ensamma."),
)

# ==========================================================================
# Museums (museum)
# ==========================================================================
add("museum", "kunstmuseum", {"place": "place", "p": [80, 120, 150], "day": "day", "h": [12, 13, 14]},
    nb=("Kunstmuseet i {place}",
        "Kunstmuseet i {place} tar {p} kroner i inngang for voksne, mens barn og ungdom under 18 år går gratis. Hver {day} er det fri adgang for alle, og omvisningene starter klokka {h}.",
        ["Hvilken ukedag kan jeg se utstillingene på kunstmuseet i {place} uten å betale?",
         "Hva koster billetten til kunstgalleriet i {place} for en voksen?"],
        ("Omvisningen på museet i {place} begynner klokka {h}.",
         "Guidede turer gjennom kunstmuseet i {place} starter kl. {h}."),
        "Ungdom under 18 år betaler ikke for å besøke kunstmuseet i {place}.",
        "Kunstmuseet i {place} har aldri gratis inngang."),
    nn=("Kunstmuseet i {place}",
        "Kunstmuseet i {place} tek {p} kroner i inngang for vaksne, medan born og ungdom under 18 år går gratis. Kvar {day} er det fri tilgang for alle, og omvisingane startar klokka {h}.",
        ["Kva vekedag kan eg sjå utstillingane på kunstmuseet i {place} utan å betale?",
         "Kva kostar billetten til kunstgalleriet i {place} for ein vaksen?"],
        ("Omvisinga på museet i {place} byrjar klokka {h}.",
         "Guida turar gjennom kunstmuseet i {place} startar kl. {h}."),
        "Ungdom under 18 år betaler ikkje for å besøkje kunstmuseet i {place}.",
        "Kunstmuseet i {place} har aldri gratis inngang."),
    da=("Kunstmuseet i {place}",
        "Kunstmuseet i {place} tager {p} kroner i entré for voksne, mens børn og unge under 18 år kommer gratis ind. Hver {day} er der fri adgang for alle, og rundvisningerne starter klokken {h}.",
        ["Hvilken ugedag kan jeg se udstillingerne på kunstmuseet i {place} uden at betale?",
         "Hvad koster billetten til kunstgalleriet i {place} for en voksen?"],
        ("Rundvisningen på museet i {place} begynder klokken {h}.",
         "Guidede ture gennem kunstmuseet i {place} starter kl. {h}."),
        "Unge under 18 år betaler ikke for at besøge kunstmuseet i {place}.",
        "Kunstmuseet i {place} har aldrig gratis adgang."),
    sv=("Konstmuseet i {place}",
        "Konstmuseet i {place} tar {p} kronor i entré för vuxna, medan barn och unga under 18 år går in gratis. Varje {day} är det fri entré för alla, och visningarna börjar klockan {h}.",
        ["Vilken veckodag kan jag se utställningarna på konstmuseet i {place} utan att betala?",
         "Vad kostar biljetten till konsthallen i {place} för en vuxen?"],
        ("Visningen på museet i {place} börjar klockan {h}.",
         "Guidade turer genom konstmuseet i {place} startar kl. {h}."),
        "Unga under 18 år betalar inte för att besöka konstmuseet i {place}.",
        "Konstmuseet i {place} har aldrig gratis entré."),
)

add("museum", "friluftsmuseum", {"place": "place", "b": [24, 31, 40, 52]},
    nb=("Friluftsmuseet i {place}",
        "Friluftsmuseet i {place} har samlet {b} gamle hus fra distriktet, blant dem et stabbur fra 1700-tallet. Om sommeren viser museet hvordan folk bakte flatbrød og kinnet smør, og kafeen serverer rømmegrøt.",
        ["Hvor mange bygninger er flyttet til det historiske bygdetunet i {place}?",
         "Hvilke gamle matlagingstradisjoner kan besøkende oppleve på museet i {place} i sommersesongen?"],
        ("Friluftsmuseet i {place} består av {b} eldre bygninger.",
         "På museumsområdet i {place} står det {b} hus fra gamle dager."),
        "Det eldste huset på friluftsmuseet i {place} er flere hundre år gammelt.",
        "Friluftsmuseet i {place} har bare moderne bygninger."),
    nn=("Friluftsmuseet i {place}",
        "Friluftsmuseet i {place} har samla {b} gamle hus frå distriktet, mellom dei eit stabbur frå 1700-talet. Om sommaren viser museet korleis folk baka flatbrød og kinna smør, og kafeen serverer rømmegraut.",
        ["Kor mange bygningar er flytta til det historiske bygdetunet i {place}?",
         "Kva gamle matlagingstradisjonar kan besøkjande oppleve på museet i {place} i sommarsesongen?"],
        ("Friluftsmuseet i {place} består av {b} eldre bygningar.",
         "På museumsområdet i {place} står det {b} hus frå gamle dagar."),
        "Det eldste huset på friluftsmuseet i {place} er fleire hundre år gammalt.",
        "Friluftsmuseet i {place} har berre moderne bygningar."),
    da=("Frilandsmuseet i {place}",
        "Frilandsmuseet i {place} har samlet {b} gamle huse fra egnen, blandt dem en bindingsværksgård fra 1700-tallet. Om sommeren viser museet, hvordan man bagte brød og kærnede smør, og caféen serverer æbleskiver.",
        ["Hvor mange bygninger er flyttet til den historiske landsby i {place}?",
         "Hvilke gamle madtraditioner kan de besøgende opleve på museet i {place} i sommersæsonen?"],
        ("Frilandsmuseet i {place} består af {b} ældre bygninger.",
         "På museumsområdet i {place} står der {b} huse fra gamle dage."),
        "Det ældste hus på frilandsmuseet i {place} er flere hundrede år gammelt.",
        "Frilandsmuseet i {place} har kun moderne bygninger."),
    sv=("Friluftsmuseet i {place}",
        "Friluftsmuseet i {place} har samlat {b} gamla hus från bygden, bland dem ett härbre från 1700-talet. På sommaren visar museet hur man bakade tunnbröd och kärnade smör, och kaféet serverar våfflor.",
        ["Hur många byggnader har flyttats till den historiska hembygdsgården i {place}?",
         "Vilka gamla mattraditioner kan besökarna uppleva på museet i {place} under sommarsäsongen?"],
        ("Friluftsmuseet i {place} består av {b} äldre byggnader.",
         "På museiområdet i {place} står det {b} hus från förr."),
        "Det äldsta huset på friluftsmuseet i {place} är flera hundra år gammalt.",
        "Friluftsmuseet i {place} har bara moderna byggnader."),
)

# ==========================================================================
# Public services (offentlige tjenester)
# ==========================================================================
add("offentlig", "pass", {"name": "name", "place": "place", "month": "month", "d": [5, 7, 10]},
    nb=("Nytt pass til {name}",
        "{name} må fornye passet sitt før en reise i {month}. Timen hos politiet i {place} bestilles på nett, og det nye passet kommer vanligvis i posten etter {d} virkedager. Et pass for voksne er gyldig i ti år.",
        ["Hvor lang tid tar det før {name} får det nye reisedokumentet tilsendt?",
         "Hvilken etat i {place} må {name} besøke for å få nytt reisedokument?"],
        ("{name} skal ut og reise i {month}.",
         "I {month} drar {name} på tur til utlandet."),
        "{name} må bestille time før passet kan fornyes.",
        "Det nye passet til {name} er bare gyldig i ett år."),
    nn=("Nytt pass til {name}",
        "{name} må fornye passet sitt før ei reise i {month}. Timen hos politiet i {place} blir bestilt på nett, og det nye passet kjem vanlegvis i posten etter {d} vyrkedagar. Eit pass for vaksne er gyldig i ti år.",
        ["Kor lang tid tek det før {name} får det nye reisedokumentet tilsendt?",
         "Kva etat i {place} må {name} besøkje for å få nytt reisedokument?"],
        ("{name} skal ut og reise i {month}.",
         "I {month} dreg {name} på tur til utlandet."),
        "{name} må bestille time før passet kan fornyast.",
        "Det nye passet til {name} er berre gyldig i eitt år."),
    da=("Nyt pas til {name}",
        "{name} skal forny sit pas før en rejse i {month}. Tiden i Borgerservice i {place} bestilles online, og det nye pas kommer normalt med posten efter {d} hverdage. Et pas til voksne er gyldigt i ti år.",
        ["Hvor lang tid går der, før {name} får det nye rejsedokument tilsendt?",
         "Hvilket kontor i {place} skal {name} besøge for at få et nyt rejsedokument?"],
        ("{name} skal ud at rejse i {month}.",
         "I {month} tager {name} på tur til udlandet."),
        "{name} skal bestille tid, før passet kan fornyes.",
        "Det nye pas til {name} er kun gyldigt i ét år."),
    sv=("Nytt pass för {name}",
        "{name} måste förnya sitt pass före en resa i {month}. Tiden hos polisen i {place} bokas på nätet, och det nya passet kan hämtas efter ungefär {d} arbetsdagar. Ett pass för vuxna gäller i fem år.",
        ["Hur lång tid tar det innan {name} kan få sin nya resehandling?",
         "Vilken myndighet i {place} måste {name} besöka för att få en ny resehandling?"],
        ("{name} ska ut och resa i {month}.",
         "I {month} åker {name} på resa utomlands."),
        "{name} måste boka en tid innan passet kan förnyas.",
        "Det nya passet för {name} gäller bara i ett år."),
)

add("offentlig", "gjenvinning", {"place": "place", "day": "day", "kg": [200, 300, 500]},
    nb=("Gjenvinningsstasjonen i {place}",
        "Gjenvinningsstasjonen i {place} tar imot møbler, hageavfall og elektronikk. Den er åpen på {day} og lørdag, og privatpersoner kan levere inntil {kg} kilo gratis hver gang.",
        ["Hvilke dager kan jeg kjøre gamle sofaer og kvister til avfallsplassen i {place}?",
         "Må jeg betale for å kvitte meg med en liten tilhengerlast med skrot i {place}?"],
        ("På gjenbruksstasjonen i {place} kan man levere ødelagte elektriske apparater.",
         "Innbyggerne i {place} kan kaste gamle TV-er og kjøkkenmaskiner på gjenvinningsanlegget."),
        "Hageavfall kan leveres på gjenvinningsstasjonen i {place}.",
        "Gjenvinningsstasjonen i {place} tar ikke imot elektronikk."),
    nn=("Attvinningsstasjonen i {place}",
        "Attvinningsstasjonen i {place} tek imot møblar, hageavfall og elektronikk. Han er open på {day} og laurdag, og privatpersonar kan levere inntil {kg} kilo gratis kvar gong.",
        ["Kva dagar kan eg køyre gamle sofaer og kvistar til avfallsplassen i {place}?",
         "Må eg betale for å kvitte meg med ei lita tilhengarlast med skrap i {place}?"],
        ("På attvinningsstasjonen i {place} kan ein levere øydelagde elektriske apparat.",
         "Innbyggjarane i {place} kan kaste gamle TV-ar og kjøkkenmaskiner på attvinningsanlegget."),
        "Hageavfall kan leverast på attvinningsstasjonen i {place}.",
        "Attvinningsstasjonen i {place} tek ikkje imot elektronikk."),
    da=("Genbrugspladsen i {place}",
        "Genbrugspladsen i {place} modtager møbler, haveaffald og elektronik. Den har åbent {day} og lørdag, og private kan aflevere op til {kg} kilo gratis hver gang.",
        ["Hvilke dage kan jeg køre gamle sofaer og grene til affaldspladsen i {place}?",
         "Skal jeg betale for at komme af med et lille trailerlæs skrald i {place}?"],
        ("På genbrugspladsen i {place} kan man aflevere ødelagte elektriske apparater.",
         "Borgerne i {place} kan smide gamle fjernsyn og køkkenmaskiner ud på genbrugsstationen."),
        "Haveaffald kan afleveres på genbrugspladsen i {place}.",
        "Genbrugspladsen i {place} modtager ikke elektronik."),
    sv=("Återvinningscentralen i {place}",
        "Återvinningscentralen i {place} tar emot möbler, trädgårdsavfall och elektronik. Den har öppet på {day}ar och lördagar, och privatpersoner kan lämna upp till {kg} kilo gratis varje gång.",
        ["Vilka dagar kan jag köra gamla soffor och grenar till soptippen i {place}?",
         "Måste jag betala för att bli av med ett litet släp med skrot i {place}?"],
        ("På återvinningscentralen i {place} kan man lämna trasiga elektriska apparater.",
         "Invånarna i {place} kan slänga gamla tv-apparater och köksmaskiner på återbruksstationen."),
        "Trädgårdsavfall kan lämnas på återvinningscentralen i {place}.",
        "Återvinningscentralen i {place} tar inte emot elektronik."),
)

# ==========================================================================
# Nature (natur)
# ==========================================================================
add("natur", "fjord", {"place": "place", "km": [18, 25, 40, 62], "dep": [300, 450, 600]},
    nb=("Fjorden ved {place}",
        "Fjorden innenfor {place} er {km} kilometer lang og på det dypeste {dep} meter. Om våren renner smeltevannet fra isbreen ned i fjorden, og vannet får da en grønnaktig farge.",
        ["Hvor dyp er havarmen som strekker seg inn fra {place}?",
         "Hvorfor skifter sjøvannet farge ved {place} om våren?"],
        ("Fjorden ved {place} strekker seg {km} kilometer inn i landet.",
         "Fra {place} går fjordarmen {km} km innover mot fjellene."),
        "Fjorden ved {place} får tilført smeltevann fra en bre.",
        "Fjorden ved {place} er grunn, med en største dybde på to meter."),
    nn=("Fjorden ved {place}",
        "Fjorden innanfor {place} er {km} kilometer lang og på det djupaste {dep} meter. Om våren renn smeltevatnet frå breen ned i fjorden, og vatnet får då ein grønleg farge.",
        ["Kor djup er havarmen som strekkjer seg inn frå {place}?",
         "Kvifor skiftar sjøvatnet farge ved {place} om våren?"],
        ("Fjorden ved {place} strekkjer seg {km} kilometer inn i landet.",
         "Frå {place} går fjordarmen {km} km innover mot fjella."),
        "Fjorden ved {place} får tilført smeltevatn frå ein bre.",
        "Fjorden ved {place} er grunn, med ei største djupn på to meter."),
    da=("Fjorden ved {place}",
        "Fjorden ved {place} er {km} kilometer lang og har en rig bestand af østers og muslinger. Om sommeren blomstrer alger i det lune vand, og vandet kan da få en grønlig farve.",
        ["Hvor lang er vandarmen, der strækker sig ind fra {place}?",
         "Hvorfor skifter vandet farve ved {place} om sommeren?"],
        ("Fjorden ved {place} strækker sig {km} kilometer ind i landet.",
         "Fra {place} går fjordarmen {km} km ind i landskabet."),
        "I fjorden ved {place} lever der skaldyr.",
        "Der findes ingen muslinger i fjorden ved {place}."),
    sv=("Älven vid {place}",
        "Älven som rinner genom {place} är {km} mil lång och har sina källor i fjällen. På våren stiger vattnet när snön smälter, och då blir strömmen så stark att kanotpaddling avråds.",
        ["Hur lång är vattendraget som flyter genom {place}?",
         "Varför är det olämpligt att paddla på floden vid {place} på våren?"],
        ("Älven vid {place} sträcker sig {km} mil.",
         "Floden som passerar {place} har en längd på {km} mil."),
        "Vattennivån i älven vid {place} stiger under snösmältningen.",
        "Älven vid {place} har sitt lägsta vattenstånd under vårfloden."),
)

add("natur", "fuglereservat", {"place": "place", "dd": [1, 10, 15]},
    nb=("Naturreservatet ved {place}",
        "Naturreservatet ved {place} er et viktig hekkeområde for sjøfugl. Fra {dd}. april til 15. juli er det forbudt å gå i land på holmene, og hunder må alltid holdes i bånd.",
        ["Når kan jeg ikke besøke øyene i fuglefredningsområdet ved {place}?",
         "Må bikkja være i kobbel i verneområdet ved {place}?"],
        ("Ved {place} hekker det mange sjøfugler.",
         "Sjøfuglene bygger reir i stort antall i nærheten av {place}."),
        "Om sommeren er det ferdselsforbud på holmene ved {place}.",
        "Hunder kan løpe fritt i naturreservatet ved {place} hele året."),
    nn=("Naturreservatet ved {place}",
        "Naturreservatet ved {place} er eit viktig hekkeområde for sjøfugl. Frå {dd}. april til 15. juli er det forbode å gå i land på holmane, og hundar må alltid haldast i band.",
        ["Når kan eg ikkje besøkje øyane i fuglefredingsområdet ved {place}?",
         "Må bikkja vere i kobbel i verneområdet ved {place}?"],
        ("Ved {place} hekkar det mange sjøfuglar.",
         "Sjøfuglane byggjer reir i stort tal i nærleiken av {place}."),
        "Om sommaren er det ferdselsforbod på holmane ved {place}.",
        "Hundar kan springe fritt i naturreservatet ved {place} heile året."),
    da=("Naturreservatet ved {place}",
        "Naturreservatet ved {place} er et vigtigt yngleområde for havfugle. Fra den {dd}. april til den 15. juli er det forbudt at gå i land på holmene, og hunde skal altid føres i snor.",
        ["Hvornår må jeg ikke besøge øerne i fuglefredningsområdet ved {place}?",
         "Må min firbenede ven løbe løs i det fredede område ved {place}?"],
        ("Ved {place} yngler der mange havfugle.",
         "Havfuglene bygger rede i stort antal i nærheden af {place}."),
        "Om sommeren er der adgangsforbud på holmene ved {place}.",
        "Hunde må løbe frit i naturreservatet ved {place} hele året."),
    sv=("Naturreservatet vid {place}",
        "Naturreservatet vid {place} är ett viktigt häckningsområde för sjöfåglar. Från den {dd} april till den 15 juli är det förbjudet att gå i land på holmarna, och hundar ska alltid hållas kopplade.",
        ["När får jag inte besöka öarna i fågelskyddsområdet vid {place}?",
         "Får min fyrbenta vän springa lös i det skyddade området vid {place}?"],
        ("Vid {place} häckar det många sjöfåglar.",
         "Sjöfåglarna bygger bon i stort antal i närheten av {place}."),
        "På sommaren råder landstigningsförbud på holmarna vid {place}.",
        "Hundar får springa fritt i naturreservatet vid {place} hela året."),
)

# ==========================================================================
# Fishing (fiske)
# ==========================================================================
add("fiske", "laksefiske", {"place": "place", "p": [150, 250, 400, 600]},
    nb=("Laksefiske ved {place}",
        "For å fiske laks i elva ved {place} må du ha fiskekort og ha betalt den statlige fiskeravgiften. Et døgnkort koster {p} kroner, og sesongen varer fra 1. juni til 31. august.",
        ["Hva må jeg betale for en dag med laksefiske i elva ved {place}?",
         "I hvilke måneder er det tillatt å fiske etter villaks i vassdraget ved {place}?"],
        ("Et døgnkort for laksefiske ved {place} koster {p} kroner.",
         "For {p} kr kan man kaste etter laks et helt døgn i elva ved {place}."),
        "Man kan fiske laks ved {place} om sommeren hvis man har fiskekort.",
        "Laksefisket i elva ved {place} er gratis og åpent hele året."),
    nn=("Laksefiske ved {place}",
        "For å fiske laks i elva ved {place} må du ha fiskekort og ha betalt den statlege fiskaravgifta. Eit døgnkort kostar {p} kroner, og sesongen varer frå 1. juni til 31. august.",
        ["Kva må eg betale for ein dag med laksefiske i elva ved {place}?",
         "I kva månader er det lov å fiske etter villaks i vassdraget ved {place}?"],
        ("Eit døgnkort for laksefiske ved {place} kostar {p} kroner.",
         "For {p} kr kan ein kaste etter laks eit heilt døgn i elva ved {place}."),
        "Ein kan fiske laks ved {place} om sommaren dersom ein har fiskekort.",
        "Laksefisket i elva ved {place} er gratis og ope heile året."),
    da=("Laksefiskeri ved {place}",
        "For at fiske laks i åen ved {place} skal du have fisketegn og et dagkort fra lystfiskerforeningen. Et dagkort koster {p} kroner, og sæsonen varer fra den 16. april til den 15. oktober.",
        ["Hvad skal jeg betale for en dags laksefiskeri i åen ved {place}?",
         "I hvilke måneder er det tilladt at fange vildlaks i vandløbet ved {place}?"],
        ("Et dagkort til laksefiskeri ved {place} koster {p} kroner.",
         "For {p} kr kan man kaste efter laks en hel dag i åen ved {place}."),
        "Man kan fiske laks ved {place} om sommeren, hvis man har de rette kort.",
        "Laksefiskeriet i åen ved {place} er gratis og åbent hele året."),
    sv=("Laxfiske vid {place}",
        "För att fiska lax i älven vid {place} måste du ha ett fiskekort. Ett dygnskort kostar {p} kronor, och säsongen pågår från den 1 juni till den 31 augusti.",
        ["Vad måste jag betala för en dags laxfiske i älven vid {place}?",
         "Under vilka månader är det tillåtet att fiska efter vildlax i vattendraget vid {place}?"],
        ("Ett dygnskort för laxfiske vid {place} kostar {p} kronor.",
         "För {p} kr kan man kasta efter lax ett helt dygn i älven vid {place}."),
        "Man kan fiska lax vid {place} på sommaren om man har fiskekort.",
        "Laxfisket i älven vid {place} är gratis och öppet hela året."),
)

add("fiske", "torskefiske", {"name": "name", "place": "place", "f": [5, 7, 9, 12]},
    nb=("{name} på torskefiske",
        "{name} fisket torsk fra båten utenfor {place} og fikk {f} fisker på en formiddag. Torsk under 40 centimeter skal slippes ut igjen, og turister kan ta med seg høyst 18 kilo fisk ut av landet.",
        ["Hvor mange fisk dro {name} opp fra sjøen på formiddagen?",
         "Hva skal {name} gjøre med småtorsken som er kortere enn minstemålet?"],
        ("{name} var på fisketur utenfor {place}.",
         "{name} tilbrakte formiddagen med å fiske på havet ved {place}."),
        "Små torsk må settes tilbake i havet ved {place}.",
        "{name} kan beholde all torsk uansett størrelse."),
    nn=("{name} på torskefiske",
        "{name} fiska torsk frå båten utanfor {place} og fekk {f} fiskar på ein formiddag. Torsk under 40 centimeter skal sleppast ut att, og turistar kan ta med seg høgst 18 kilo fisk ut av landet.",
        ["Kor mange fisk drog {name} opp frå sjøen på formiddagen?",
         "Kva skal {name} gjere med småtorsken som er kortare enn minstemålet?"],
        ("{name} var på fisketur utanfor {place}.",
         "{name} brukte formiddagen til å fiske på havet ved {place}."),
        "Små torsk må setjast tilbake i havet ved {place}.",
        "{name} kan behalde all torsk uansett storleik."),
    da=("{name} på torskefiskeri",
        "{name} fiskede torsk fra båden ud for {place} og fangede {f} fisk på en formiddag. Torsk under 35 centimeter skal genudsættes, og man skal have et gyldigt fisketegn.",
        ["Hvor mange fisk trak {name} op af havet om formiddagen?",
         "Hvad skal {name} gøre med de små torsk, der er kortere end mindstemålet?"],
        ("{name} var på fisketur ud for {place}.",
         "{name} tilbragte formiddagen med at fiske på havet ved {place}."),
        "Små torsk skal sættes tilbage i havet ved {place}.",
        "{name} må beholde alle torsk uanset størrelse."),
    sv=("{name} på torskfiske",
        "{name} fiskade torsk från båten utanför {place} och fick {f} fiskar på en förmiddag. Torsk under 40 centimeter ska släppas tillbaka, och på vissa platser gäller fredningstid under våren.",
        ["Hur många fiskar drog {name} upp ur havet under förmiddagen?",
         "Vad ska {name} göra med småtorsken som är kortare än minimimåttet?"],
        ("{name} var på fisketur utanför {place}.",
         "{name} tillbringade förmiddagen med att fiska på havet vid {place}."),
        "Små torskar måste sättas tillbaka i havet vid {place}.",
        "{name} får behålla all torsk oavsett storlek."),
)
# ==========================================================================
# History (historie)
# ==========================================================================
add("historie", "steinkirke", {"place": "place", "yr": [1150, 1180, 1220, 1250, 1300]},
    nb=("Steinkirken i {place}",
        "Steinkirken i {place} ble bygd rundt år {yr} og er en av de eldste bygningene i regionen. Den ble restaurert på 1950-tallet, og i dag brukes den til konserter og dåp.",
        ["Når ble middelalderkirken i {place} oppført?",
         "Hva bruker man den gamle kirken i {place} til nå for tiden?"],
        ("Kirken i {place} er fra omkring år {yr}.",
         "Rundt {yr} reiste man steinkirken som står i {place}."),
        "Steinkirken i {place} er over 700 år gammel.",
        "Steinkirken i {place} ble revet på 1950-tallet."),
    nn=("Steinkyrkja i {place}",
        "Steinkyrkja i {place} vart bygd kring år {yr} og er ein av dei eldste bygningane i regionen. Ho vart restaurert på 1950-talet, og i dag blir ho brukt til konsertar og dåp.",
        ["Når vart mellomalderkyrkja i {place} reist?",
         "Kva brukar ein den gamle kyrkja i {place} til no for tida?"],
        ("Kyrkja i {place} er frå kring år {yr}.",
         "Kring {yr} reiste ein steinkyrkja som står i {place}."),
        "Steinkyrkja i {place} er over 700 år gammal.",
        "Steinkyrkja i {place} vart riven på 1950-talet."),
    da=("Stenkirken i {place}",
        "Stenkirken i {place} blev bygget omkring år {yr} og er en af de ældste bygninger i regionen. Den blev restaureret i 1950'erne, og i dag bruges den til koncerter og dåb.",
        ["Hvornår blev middelalderkirken i {place} opført?",
         "Hvad bruger man den gamle kirke i {place} til nu om dage?"],
        ("Kirken i {place} er fra omkring år {yr}.",
         "Omkring {yr} rejste man den stenkirke, der står i {place}."),
        "Stenkirken i {place} er over 700 år gammel.",
        "Stenkirken i {place} blev revet ned i 1950'erne."),
    sv=("Stenkyrkan i {place}",
        "Stenkyrkan i {place} byggdes omkring år {yr} och är en av de äldsta byggnaderna i regionen. Den restaurerades på 1950-talet, och i dag används den för konserter och dop.",
        ["När uppfördes medeltidskyrkan i {place}?",
         "Vad använder man den gamla kyrkan i {place} till nuförtiden?"],
        ("Kyrkan i {place} är från omkring år {yr}.",
         "Omkring {yr} reste man stenkyrkan som står i {place}."),
        "Stenkyrkan i {place} är över 700 år gammal.",
        "Stenkyrkan i {place} revs på 1950-talet."),
)

add("historie", "bybrann", {"place": "place", "yr2": [1742, 1794, 1838, 1861], "yr3": [1878, 1895, 1904, 1916]},
    nb=("Bybrannen i {place}",
        "{place} fikk bystatus i {yr2}, og mye av sentrum brant ned i en storbrann i {yr3}. Etter brannen ble husene bygd opp igjen i mur, og gatene ble lagt bredere for å hindre nye branner.",
        ["Hvilket år ble sentrum i {place} ødelagt av flammene?",
         "Hvorfor har {place} så brede gater og murhus i sentrum?"],
        ("{place} ble en by i {yr2}.",
         "I {yr2} fikk {place} sine byrettigheter."),
        "Etter storbrannen ble sentrum i {place} gjenreist med murbygninger.",
        "Sentrum i {place} har aldri vært rammet av brann."),
    nn=("Storbrannen i {place}",
        "{place} fekk bystatus i {yr2}, og mykje av sentrum brann ned i ein storbrann i {yr3}. Etter brannen vart husa bygde opp att i mur, og gatene vart lagde breiare for å hindre nye brannar.",
        ["Kva år vart sentrum i {place} øydelagt av flammane?",
         "Kvifor har {place} så breie gater og murhus i sentrum?"],
        ("{place} vart ein by i {yr2}.",
         "I {yr2} fekk {place} byrettane sine."),
        "Etter storbrannen vart sentrum i {place} bygd opp att med murbygningar.",
        "Sentrum i {place} har aldri vore ramma av brann."),
    da=("Bybranden i {place}",
        "{place} fik købstadsrettigheder i {yr2}, og store dele af centrum brændte ned ved en storbrand i {yr3}. Efter branden blev husene genopført i grundmur, og gaderne blev gjort bredere for at forhindre nye brande.",
        ["Hvilket år blev centrum i {place} ødelagt af flammerne?",
         "Hvorfor har {place} så brede gader og murstenshuse i centrum?"],
        ("{place} blev købstad i {yr2}.",
         "I {yr2} fik {place} sine byrettigheder."),
        "Efter storbranden blev centrum i {place} genopbygget med murede huse.",
        "Centrum i {place} har aldrig været ramt af brand."),
    sv=("Stadsbranden i {place}",
        "{place} fick stadsrättigheter år {yr2}, och stora delar av centrum brann ner i en storbrand år {yr3}. Efter branden byggdes husen upp igen i sten, och gatorna gjordes bredare för att förhindra nya bränder.",
        ["Vilket år förstördes centrum i {place} av lågorna?",
         "Varför har {place} så breda gator och stenhus i centrum?"],
        ("{place} blev stad år {yr2}.",
         "År {yr2} fick {place} sina stadsprivilegier."),
        "Efter storbranden återuppbyggdes centrum i {place} med stenhus.",
        "Centrum i {place} har aldrig drabbats av brand."),
)

# ==========================================================================
# Technology (teknologi)
# ==========================================================================
add("teknologi", "mobilbatteri", {"name": "name", "hrs": [20, 24, 30, 36], "mn": [15, 20, 25]},
    nb=("Den nye mobilen til {name}",
        "Den nye mobilen til {name} har et batteri som varer omtrent {hrs} timer ved vanlig bruk. Med hurtiglader blir batteriet fylt fra tomt til halvfullt på {mn} minutter, men laderen følger ikke med i esken.",
        ["Hvor lenge kan {name} bruke telefonen før den må settes i kontakten?",
         "Får {name} strømadapter på kjøpet sammen med den nye smarttelefonen?"],
        ("Telefonen til {name} lades halvveis på {mn} minutter.",
         "På {mn} minutter er batteriet i mobilen til {name} femti prosent oppladet."),
        "{name} må kjøpe laderen til den nye mobilen separat.",
        "Laderen ligger i esken sammen med den nye mobilen til {name}."),
    nn=("Den nye mobilen til {name}",
        "Den nye mobilen til {name} har eit batteri som varer om lag {hrs} timar ved vanleg bruk. Med hurtigladar blir batteriet fylt frå tomt til halvfullt på {mn} minutt, men ladaren følgjer ikkje med i esken.",
        ["Kor lenge kan {name} bruke telefonen før han må setjast i kontakten?",
         "Får {name} straumadapter på kjøpet saman med den nye smarttelefonen?"],
        ("Telefonen til {name} blir lada halvvegs på {mn} minutt.",
         "På {mn} minutt er batteriet i mobilen til {name} femti prosent oppladd."),
        "{name} må kjøpe ladaren til den nye mobilen separat.",
        "Ladaren ligg i esken saman med den nye mobilen til {name}."),
    da=("{name}s nye mobil",
        "{name}s nye mobil har et batteri, der holder omkring {hrs} timer ved normal brug. Med en hurtiglader bliver batteriet fyldt fra tomt til halvt på {mn} minutter, men opladeren følger ikke med i æsken.",
        ["Hvor længe kan {name} bruge telefonen, før den skal i stikkontakten?",
         "Får {name} en strømadapter med i købet sammen med den nye smartphone?"],
        ("{name}s telefon lades halvt op på {mn} minutter.",
         "På {mn} minutter er batteriet i {name}s mobil halvt opladet."),
        "{name} skal købe opladeren til den nye mobil separat.",
        "Opladeren ligger i æsken sammen med {name}s nye mobil."),
    sv=("{name}s nya mobil",
        "{name}s nya mobil har ett batteri som räcker ungefär {hrs} timmar vid normal användning. Med en snabbladdare fylls batteriet från tomt till halvfullt på {mn} minuter, men laddaren ingår inte i kartongen.",
        ["Hur länge kan {name} använda telefonen innan den måste kopplas in i eluttaget?",
         "Får {name} en strömadapter på köpet tillsammans med den nya smarttelefonen?"],
        ("{name}s telefon laddas till hälften på {mn} minuter.",
         "På {mn} minuter är batteriet i {name}s mobil femtio procent laddat."),
        "{name} måste köpa laddaren till den nya mobilen separat.",
        "Laddaren ligger i kartongen tillsammans med {name}s nya mobil."),
)

add("teknologi", "fiber", {"name": "name", "place": "place", "p": [3000, 4500, 6000], "mb": [500, 1000]},
    nb=("Fiber til {name} i {place}",
        "Fiberselskapet bygger ut bredbånd i boligfeltet der {name} bor i {place}. Tilkoblingen koster {p} kroner, og hastigheten blir {mb} megabit per sekund begge veier. Gravearbeidet skal være ferdig før jul.",
        ["Hvor raskt blir internettet hjemme hos {name} etter utbyggingen?",
         "Hva må {name} betale for å bli koblet til det nye nettet?"],
        ("{name} i {place} skal få fiber.",
         "Husstanden til {name} i {place} blir koblet til et fibernett."),
        "Boligfeltet der {name} bor, får raskere internett.",
        "{name} får ikke tilbud om fiber i {place}."),
    nn=("Fiber til {name} i {place}",
        "Fiberselskapet byggjer ut breiband i bustadfeltet der {name} bur i {place}. Tilkoplinga kostar {p} kroner, og farten blir {mb} megabit per sekund begge vegar. Gravearbeidet skal vere ferdig før jul.",
        ["Kor raskt blir internettet heime hos {name} etter utbygginga?",
         "Kva må {name} betale for å bli kopla til det nye nettet?"],
        ("{name} i {place} skal få fiber.",
         "Hushaldet til {name} i {place} blir kopla til eit fibernett."),
        "Bustadfeltet der {name} bur, får raskare internett.",
        "{name} får ikkje tilbod om fiber i {place}."),
    da=("Fiber til {name} i {place}",
        "Fiberselskabet udbygger bredbånd i det boligkvarter i {place}, hvor {name} bor. Tilslutningen koster {p} kroner, og hastigheden bliver {mb} megabit i sekundet begge veje. Gravearbejdet skal være færdigt inden jul.",
        ["Hvor hurtigt bliver internettet hjemme hos {name} efter udbygningen?",
         "Hvad skal {name} betale for at blive koblet på det nye net?"],
        ("{name} i {place} skal have fiber.",
         "{name}s husstand i {place} bliver tilsluttet et fibernet."),
        "Boligkvarteret, hvor {name} bor, får hurtigere internet.",
        "{name} får ikke tilbud om fiber i {place}."),
    sv=("Fiber till {name} i {place}",
        "Fiberbolaget bygger ut bredband i bostadsområdet i {place} där {name} bor. Anslutningen kostar {p} kronor, och hastigheten blir {mb} megabit per sekund åt båda hållen. Grävarbetet ska vara klart före jul.",
        ["Hur snabbt blir internet hemma hos {name} efter utbyggnaden?",
         "Vad måste {name} betala för att bli ansluten till det nya nätet?"],
        ("{name} i {place} ska få fiber.",
         "{name}s hushåll i {place} blir anslutet till ett fibernät."),
        "Bostadsområdet där {name} bor får snabbare internet.",
        "{name} får inget erbjudande om fiber i {place}."),
)

# ==========================================================================
# Shopping (handel)
# ==========================================================================
add("handel", "apent-kjop", {"place": "place", "dg": [14, 30, 60]},
    nb=("Åpent kjøp i klesbutikken i {place}",
        "Klesbutikken i {place} gir kundene {dg} dagers åpent kjøp på varer med prislapp og kvittering. Varer kjøpt på salg kan byttes, men ikke leveres tilbake mot penger.",
        ["Hvor lenge kan jeg angre på et plagg fra klesforretningen i {place}?",
         "Får jeg refundert beløpet for en nedsatt genser fra butikken i {place}?"],
        ("Klesbutikken i {place} har {dg} dagers returrett.",
         "Hos klesbutikken i {place} kan kundene levere tilbake varer innen {dg} dager."),
        "Salgsvarer fra klesbutikken i {place} kan byttes i andre varer.",
        "Klesbutikken i {place} gir pengene tilbake for alle salgsvarer."),
    nn=("Ope kjøp i klesbutikken i {place}",
        "Klesbutikken i {place} gjev kundane {dg} dagars ope kjøp på varer med prislapp og kvittering. Varer kjøpte på sal kan bytast, men ikkje leverast tilbake mot pengar.",
        ["Kor lenge kan eg angre på eit plagg frå klesforretninga i {place}?",
         "Får eg refundert beløpet for ein nedsett genser frå butikken i {place}?"],
        ("Klesbutikken i {place} har {dg} dagars returrett.",
         "Hos klesbutikken i {place} kan kundane levere tilbake varer innan {dg} dagar."),
        "Salsvarer frå klesbutikken i {place} kan bytast i andre varer.",
        "Klesbutikken i {place} gjev pengane tilbake for alle salsvarer."),
    da=("Returret i tøjbutikken i {place}",
        "Tøjbutikken i {place} giver kunderne {dg} dages fuld returret på varer med prismærke og kvittering. Varer købt på udsalg kan byttes, men ikke returneres mod penge.",
        ["Hvor længe kan jeg fortryde et stykke tøj fra tøjforretningen i {place}?",
         "Får jeg beløbet refunderet for en nedsat sweater fra butikken i {place}?"],
        ("Tøjbutikken i {place} har {dg} dages returret.",
         "Hos tøjbutikken i {place} kan kunderne aflevere varer tilbage inden for {dg} dage."),
        "Udsalgsvarer fra tøjbutikken i {place} kan byttes til andre varer.",
        "Tøjbutikken i {place} giver pengene tilbage for alle udsalgsvarer."),
    sv=("Öppet köp i klädbutiken i {place}",
        "Klädbutiken i {place} ger kunderna {dg} dagars öppet köp på varor med prislapp och kvitto. Varor som köpts på rea kan bytas, men inte lämnas tillbaka mot pengar.",
        ["Hur länge kan jag ångra ett plagg från klädaffären i {place}?",
         "Får jag tillbaka beloppet för en nedsatt tröja från butiken i {place}?"],
        ("Klädbutiken i {place} har {dg} dagars returrätt.",
         "Hos klädbutiken i {place} kan kunderna lämna tillbaka varor inom {dg} dagar."),
        "Reavaror från klädbutiken i {place} kan bytas mot andra varor.",
        "Klädbutiken i {place} ger pengarna tillbaka för alla reavaror."),
)

add("handel", "naerbutikk", {"place": "place", "h": [21, 22, 23]},
    nb=("Nærbutikken i {place}",
        "Dagligvarebutikken på hjørnet i {place} holder åpent til klokka {h} på hverdager. Som en liten butikk under 100 kvadratmeter kan den også holde søndagsåpent, og da selges det ikke øl.",
        ["Kan jeg handle mat på søndager i nærbutikken i {place}?",
         "Hvor sent kan jeg kjøpe melk og brød i kolonialen i {place} på en vanlig tirsdag?"],
        ("Matbutikken i {place} stenger klokka {h} på hverdager.",
         "Fra mandag til fredag er dagligvarebutikken i {place} åpen til kl. {h}."),
        "Nærbutikken i {place} er åpen på søndager.",
        "Nærbutikken i {place} er stengt alle søndager."),
    nn=("Nærbutikken i {place}",
        "Daglegvarebutikken på hjørnet i {place} held ope til klokka {h} på kvardagar. Som ein liten butikk under 100 kvadratmeter kan han også halde søndagsope, og då blir det ikkje selt øl.",
        ["Kan eg handle mat på søndagar i nærbutikken i {place}?",
         "Kor seint kan eg kjøpe mjølk og brød i kolonialen i {place} på ein vanleg tysdag?"],
        ("Matbutikken i {place} stengjer klokka {h} på kvardagar.",
         "Frå måndag til fredag er daglegvarebutikken i {place} open til kl. {h}."),
        "Nærbutikken i {place} er open på søndagar.",
        "Nærbutikken i {place} er stengd alle søndagar."),
    da=("Købmanden i {place}",
        "Købmanden på hjørnet i {place} holder åbent til klokken {h} på hverdage og har også åbent om søndagen. Om aftenen sælges der friskbagt brød fra det lokale bageri.",
        ["Kan jeg købe ind til aftensmad på søndage i nærbutikken i {place}?",
         "Hvor sent kan jeg købe mælk og brød i dagligvarebutikken i {place} en almindelig tirsdag?"],
        ("Købmanden i {place} lukker klokken {h} på hverdage.",
         "Fra mandag til fredag er dagligvarebutikken i {place} åben til kl. {h}."),
        "Nærbutikken i {place} har åbent om søndagen.",
        "Nærbutikken i {place} er lukket alle søndage."),
    sv=("Närbutiken i {place}",
        "Livsmedelsbutiken på hörnet i {place} har öppet till klockan {h} på vardagar och håller även öppet på söndagar. Folköl säljs, men starkare drycker finns bara på Systembolaget.",
        ["Kan jag handla mat på söndagar i närbutiken i {place}?",
         "Hur sent kan jag köpa mjölk och bröd i kvartersbutiken i {place} en vanlig tisdag?"],
        ("Matbutiken i {place} stänger klockan {h} på vardagar.",
         "Från måndag till fredag är livsmedelsbutiken i {place} öppen till kl. {h}."),
        "Närbutiken i {place} har öppet på söndagar.",
        "Närbutiken i {place} är stängd alla söndagar."),
)

# ==========================================================================
# Travel and holidays (reise)
# ==========================================================================
add("reise", "handbagasje", {"place": "place", "kg": [5, 8, 10], "mn": [30, 40, 45]},
    nb=("Bagasjeregler på flyet fra {place}",
        "På flyet fra {place} kan hver passasjer ta med én håndbagasje på inntil {kg} kilo. Innsjekket koffert koster ekstra, og innsjekkingen stenger {mn} minutter før avgang.",
        ["Hvor tung kan kabinvesken min være på flyturen fra {place}?",
         "Når er det for sent å levere bagasjen på flyplassen i {place}?"],
        ("Flyavgangen fra {place} tillater én håndbagasje per person.",
         "Hver reisende fra {place} får ha med seg ett kabinstykke om bord."),
        "Passasjerer fra {place} må betale mer for å sjekke inn en koffert.",
        "Innsjekket bagasje er inkludert i alle billetter fra {place}."),
    nn=("Bagasjereglar på flyet frå {place}",
        "På flyet frå {place} kan kvar passasjer ta med seg ein handbagasje på inntil {kg} kilo. Innsjekka koffert kostar ekstra, og innsjekkinga stengjer {mn} minutt før avgang.",
        ["Kor tung kan kabinveska mi vere på flyturen frå {place}?",
         "Når er det for seint å levere bagasjen på flyplassen i {place}?"],
        ("Flyavgangen frå {place} tillèt ein handbagasje per person.",
         "Kvar reisande frå {place} får ha med seg eitt kabinstykke om bord."),
        "Passasjerar frå {place} må betale meir for å sjekke inn ein koffert.",
        "Innsjekka bagasje er inkludert i alle billettar frå {place}."),
    da=("Bagageregler på flyet fra {place}",
        "På flyet fra {place} må hver passager medbringe ét stykke håndbagage på op til {kg} kilo. Indchecket kuffert koster ekstra, og indtjekningen lukker {mn} minutter før afgang.",
        ["Hvor tung må min kabinetaske være på flyveturen fra {place}?",
         "Hvornår er det for sent at aflevere bagagen i lufthavnen i {place}?"],
        ("Flyafgangen fra {place} tillader ét stykke håndbagage per person.",
         "Hver rejsende fra {place} må have en kabinetaske med om bord."),
        "Passagerer fra {place} skal betale mere for at tjekke en kuffert ind.",
        "Indchecket bagage er inkluderet i alle billetter fra {place}."),
    sv=("Bagageregler på flyget från {place}",
        "På flyget från {place} får varje passagerare ta med ett handbagage på högst {kg} kilo. Incheckad resväska kostar extra, och incheckningen stänger {mn} minuter före avgång.",
        ["Hur tung får min kabinväska vara på flygresan från {place}?",
         "När är det för sent att lämna in bagaget på flygplatsen i {place}?"],
        ("Flygavgången från {place} tillåter ett handbagage per person.",
         "Varje resenär från {place} får ha med sig en kabinväska ombord."),
        "Passagerare från {place} måste betala mer för att checka in en resväska.",
        "Incheckat bagage ingår i alla biljetter från {place}."),
)

add("reise", "hotell", {"name": "name", "month": "month", "nt": [4, 5, 7, 10]},
    nb=("Sydenferie for {name}",
        "{name} har bestilt {nt} netter på et hotell ved stranden i Spania i {month}. Frokost er inkludert i prisen, og avbestilling er gratis fram til sju dager før ankomst.",
        ["Hvor lenge skal {name} bo på badehotellet i utlandet?",
         "Kan {name} kansellere rommet uten å betale gebyr?"],
        ("{name} skal på ferie til Spania i {month}.",
         "I {month} reiser {name} sørover til den spanske kysten."),
        "{name} får morgenmat på hotellet uten ekstra kostnad.",
        "{name} må betale fullt ut ved avbestilling, uansett når det skjer."),
    nn=("Sydenferie for {name}",
        "{name} har bestilt {nt} netter på eit hotell ved stranda i Spania i {month}. Frukost er inkludert i prisen, og avbestilling er gratis fram til sju dagar før innsjekking.",
        ["Kor lenge skal {name} bu på badehotellet i utlandet?",
         "Kan {name} kansellere rommet utan å betale gebyr?"],
        ("{name} skal på ferie til Spania i {month}.",
         "I {month} reiser {name} sørover til den spanske kysten."),
        "{name} får morgonmat på hotellet utan ekstra kostnad.",
        "{name} må betale fullt ut ved avbestilling, same når det skjer."),
    da=("Sydenferie for {name}",
        "{name} har bestilt {nt} nætter på et hotel ved stranden i Spanien i {month}. Morgenmad er inkluderet i prisen, og afbestilling er gratis indtil syv dage før ankomst.",
        ["Hvor længe skal {name} bo på badehotellet i udlandet?",
         "Kan {name} annullere værelset uden at betale gebyr?"],
        ("{name} skal på ferie i Spanien i {month}.",
         "I {month} rejser {name} sydpå til den spanske kyst."),
        "{name} kan spise morgenbuffet på hotellet uden ekstra betaling.",
        "{name} skal betale fuld pris ved afbestilling, uanset hvornår det sker."),
    sv=("Charterresa för {name}",
        "{name} har bokat {nt} nätter på ett hotell vid stranden i Spanien i {month}. Frukost ingår i priset, och avbokning är gratis fram till sju dagar före ankomst.",
        ["Hur länge ska {name} bo på badhotellet utomlands?",
         "Kan {name} ställa in rumsbokningen utan att betala någon avgift?"],
        ("{name} ska på semester till Spanien i {month}.",
         "I {month} reser {name} söderut till den spanska kusten."),
        "{name} får morgonmål på hotellet utan extra kostnad.",
        "{name} måste betala fullt pris vid avbokning, oavsett när den sker."),
)

# ==========================================================================
# Generator
# ==========================================================================
F_TRAIN = 7      # slot fillings per training template and language
F_EVAL = 9       # slot fillings per held-out template and language
F_EVAL_Q = 7     # ... of which this many get queries; the rest are distractors
SLOT_RE = re.compile(r"\{(\w+)\}")


def cap(s):
    return s[:1].upper() + s[1:] if s else s


def slot_values(spec, lang):
    if isinstance(spec, str):
        return POOLS[spec][lang]
    if isinstance(spec, dict):
        return spec[lang]
    return spec


def make_fills(tpl, lang, n):
    """n distinct slot fillings; every question identifies exactly one filling."""
    rng = random.Random("%d-%s-%s" % (SEED, tpl["tid"], lang))
    title, passage, questions, para, ent, con = tpl["langs"][lang]
    qslots = [tuple(sorted(set(SLOT_RE.findall(q)))) for q in questions]
    seen_q = [set() for _ in questions]
    seen_p = set()
    fills = []
    for _ in range(5000):
        if len(fills) == n:
            break
        vals, used = {}, defaultdict(set)
        for name, spec in tpl["slots"].items():
            pool_id = spec if isinstance(spec, str) else name
            choices = [v for v in slot_values(spec, lang) if v not in used[pool_id]]
            v = rng.choice(choices)
            used[pool_id].add(v)
            vals[name] = v
        for name, spec in tpl["slots"].items():
            vals[name + "_alt"] = rng.choice([v for v in slot_values(spec, lang) if v != vals[name]])
        keys = [tuple(vals[s] for s in qs) for qs in qslots]
        p = passage.format(**vals)
        if p in seen_p or any(k in seen_q[i] for i, k in enumerate(keys)):
            continue
        seen_p.add(p)
        for i, k in enumerate(keys):
            seen_q[i].add(k)
        fills.append(vals)
    if len(fills) < n:
        raise SystemExit("template %s/%s: only %d fillings" % (tpl["tid"], lang, len(fills)))
    return fills


def instantiate(tpl, lang, n):
    title, passage, questions, para, ent, con = tpl["langs"][lang]
    out = []
    for k, vals in enumerate(make_fills(tpl, lang, n)):
        f = lambda s: cap(s.format(**vals))
        out.append({
            "id": "%s-%s-%d" % (lang, tpl["tid"], k), "lang": lang, "topic": tpl["topic"],
            "tid": tpl["tid"], "k": k, "vals": vals,
            "title": f(title), "passage": f(passage),
            "questions": [f(q) for q in questions],
            "para": (f(para[0]), f(para[1])), "ent": f(ent), "con": f(con),
        })
    return out


def sentences(text):
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-ZÆØÅÄÖ])", text) if s.strip()]


def tokens(text):
    return re.findall(r"\w+", text.lower())


def jaccard(a, b):
    a, b = set(tokens(a)), set(tokens(b))
    return len(a & b) / max(1, len(a | b))


def bm25_scores(docs, k1=1.2, b=0.75):
    toks = [tokens(d) for d in docs]
    N = len(toks)
    avgdl = sum(map(len, toks)) / N
    df = Counter(t for d in toks for t in set(d))
    idf = {t: math.log(1 + (N - n + 0.5) / (n + 0.5)) for t, n in df.items()}
    tfs = [Counter(d) for d in toks]

    def score(query):
        q = tokens(query)
        res = []
        for i, tf in enumerate(tfs):
            dl = len(toks[i])
            s = 0.0
            for t in q:
                if t in tf:
                    s += idf[t] * tf[t] * (k1 + 1) / (tf[t] + k1 * (1 - b + b * dl / avgdl))
            res.append(s)
        return res
    return score


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")


def main():
    rng = random.Random(SEED)
    topics = []
    for t in TEMPLATES:
        if t["topic"] not in topics:
            topics.append(t["topic"])
    # Hold out the second template of every other topic (whole passage groups).
    held = set()
    for i, topic in enumerate(topics):
        group = [t["tid"] for t in TEMPLATES if t["topic"] == topic]
        if i % 2 == 0 and len(group) > 1:
            held.add(group[1])
    train_t = [t for t in TEMPLATES if t["tid"] not in held]
    eval_t = [t for t in TEMPLATES if t["tid"] in held]
    assert len({t["tid"] for t in TEMPLATES}) == len(TEMPLATES), "duplicate template id"

    train = {(t["tid"], l): instantiate(t, l, F_TRAIN) for t in train_t for l in LANGS}
    evals = {(t["tid"], l): instantiate(t, l, F_EVAL) for t in eval_t for l in LANGS}

    # ---------------- training pairs ----------------
    pairs, seen = [], set()
    for insts in train.values():
        for x in insts:
            for a, p in [(x["questions"][0], x["passage"]), (x["questions"][1], x["passage"]), x["para"]]:
                if (a, p) not in seen:
                    seen.add((a, p))
                    pairs.append({"anchor": a, "positive": p, "lang": x["lang"]})
    rng.shuffle(pairs)

    # ---------------- training triplets ----------------
    by_lang = defaultdict(list)
    for (tid, lang), insts in train.items():
        by_lang[lang].extend(insts)
    triplets, seen = [], set()
    for (tid, lang), insts in train.items():
        for x in insts:
            rows = [(x["passage"], x["ent"], x["con"])]
            # hard negative 1: same template, different filling
            other = rng.choice([y for y in insts if y is not x])
            rows.append((x["questions"][0], x["passage"], other["passage"]))
            # hard negative 2: same topic other template, else a passage sharing a slot value
            same_topic = [y for y in by_lang[lang] if y["topic"] == x["topic"] and y["tid"] != tid]
            shared = [y for y in by_lang[lang] if y["tid"] != tid and
                      set(map(str, x["vals"].values())) & {str(y["vals"].get(s)) for s in ("place", "name")}]
            cand = same_topic if same_topic and rng.random() < 0.6 else (shared or same_topic)
            neg = rng.choice(cand)
            rows.append((x["questions"][1], x["passage"], neg["passage"]))
            for r in rows:
                if r not in seen:
                    seen.add(r)
                    triplets.append({"anchor": r[0], "positive": r[1], "negative": r[2], "lang": lang})
    rng.shuffle(triplets)

    # ---------------- corpus ----------------
    per_lang = defaultdict(list)
    for (tid, lang), insts in sorted(train.items()):
        for x in insts:
            for s in sentences(x["passage"]) + list(x["para"]) + [x["ent"]]:
                per_lang[lang].append(s)
    corpus = []
    CORPUS_PER_LANG = 1150
    for lang in LANGS:
        uniq = sorted(set(per_lang[lang]))
        rng.shuffle(uniq)
        corpus.extend(uniq[:CORPUS_PER_LANG])
    rng.shuffle(corpus)

    # ---------------- held-out evaluation ----------------
    e_corpus, e_queries, qrels, e_triplets = [], [], [], []
    for (tid, lang), insts in evals.items():
        for x in insts:
            e_corpus.append({"_id": x["id"], "title": x["title"], "text": x["passage"]})
            e_triplets.append({"anchor": x["passage"], "positive": x["ent"], "negative": x["con"], "lang": lang})
            k = x["k"]
            if k < F_EVAL_Q:
                qis = [k % 2] + ([1 - k % 2] if k < 4 else [])
                for qi in qis:
                    qid = "q-%s-q%d" % (x["id"], qi + 1)
                    e_queries.append({"_id": qid, "text": x["questions"][qi]})
                    qrels.append((qid, x["id"]))
            else:
                other = rng.choice([y for y in insts if y is not x])
                e_triplets.append({"anchor": x["questions"][0], "positive": x["passage"],
                                   "negative": other["passage"], "lang": lang})
    rng.shuffle(e_triplets)
    # BEIR rows carry no "lang" field: the language is the id prefix
    # ("nb-...", "q-nb-...").
    lang_of = lambda rid: rid[2:4] if rid.startswith("q-") else rid[:2]
    e_by_lang = {l: [r for r in e_corpus if lang_of(r["_id"]) == l] for l in LANGS}
    order = {l: i for i, l in enumerate(LANGS)}
    e_corpus.sort(key=lambda r: (order[lang_of(r["_id"])], r["_id"]))
    e_queries.sort(key=lambda r: (order[lang_of(r["_id"])], r["_id"]))

    # ---------------- write ----------------
    out = HERE
    os.makedirs(os.path.join(out, "eval", "retrieval", "qrels"), exist_ok=True)
    with open(os.path.join(out, "corpus.txt"), "w", encoding="utf-8", newline="\n") as fh:
        fh.write("\n".join(corpus) + "\n")
    write_jsonl(os.path.join(out, "train-pairs.jsonl"), pairs)
    write_jsonl(os.path.join(out, "train-triplets.jsonl"), triplets)
    write_jsonl(os.path.join(out, "eval", "retrieval", "corpus.jsonl"), e_corpus)
    write_jsonl(os.path.join(out, "eval", "retrieval", "queries.jsonl"), e_queries)
    with open(os.path.join(out, "eval", "retrieval", "qrels", "test.tsv"), "w", encoding="utf-8", newline="\n") as fh:
        fh.write("query-id\tcorpus-id\tscore\n")
        for q, c in qrels:
            fh.write("%s\t%s\t1\n" % (q, c))
    write_jsonl(os.path.join(out, "eval", "triplets.jsonl"), e_triplets)

    # ---------------- sanity checks / summary ----------------
    print("templates: %d (%d topics); training %d, held out %d" % (len(TEMPLATES), len(topics), len(train_t), len(eval_t)))
    def lang_counts(rows):
        c = Counter(r["lang"] if "lang" in r else lang_of(r["_id"]) for r in rows)
        return " ".join("%s=%d" % (l, c[l]) for l in LANGS)
    sent_lang = {}
    for lang in LANGS:
        for s in per_lang[lang]:
            sent_lang[s] = lang
    print("corpus.txt              %5d lines  %s" % (len(corpus), " ".join("%s=%d" % (l, sum(1 for s in corpus if sent_lang[s] == l)) for l in LANGS)))
    print("train-pairs.jsonl       %5d        %s" % (len(pairs), lang_counts(pairs)))
    print("train-triplets.jsonl    %5d        %s" % (len(triplets), lang_counts(triplets)))
    print("eval corpus.jsonl       %5d        %s" % (len(e_corpus), lang_counts(e_corpus)))
    print("eval queries.jsonl      %5d        %s" % (len(e_queries), lang_counts(e_queries)))
    print("eval qrels/test.tsv     %5d rows" % len(qrels))
    print("eval triplets.jsonl     %5d        %s" % (len(e_triplets), lang_counts(e_triplets)))

    train_texts = set(corpus)
    for r in pairs:
        train_texts.update((r["anchor"], r["positive"]))
    for r in triplets:
        train_texts.update((r["anchor"], r["positive"], r["negative"]))
    train_sents = {s for t in train_texts for s in sentences(t)}
    eval_texts = {r["text"] for r in e_corpus} | {r["text"] for r in e_queries}
    for r in e_triplets:
        eval_texts.update((r["anchor"], r["positive"], r["negative"]))
    eval_sents = {s for t in eval_texts for s in sentences(t)}
    dup = train_texts & eval_texts
    dup_s = train_sents & eval_sents
    print("check: texts in both train and eval: %d; sentences in both: %d" % (len(dup), len(dup_s)))
    for s in sorted(dup_s)[:10]:
        print("   shared sentence:", s)
    cids, qids = {r["_id"] for r in e_corpus}, {r["_id"] for r in e_queries}
    assert len(cids) == len(e_corpus) and len(qids) == len(e_queries)
    assert all(q in qids and c in cids for q, c in qrels), "dangling qrels id"
    assert {q for q, _ in qrels} == qids, "query without relevant passage"
    print("check: all qrels ids exist; every query has >= 1 relevant passage")
    assert not dup, "train/eval overlap"

    # crude lexical-overlap statistics
    text_of = {r["_id"]: r["text"] for r in e_corpus}
    q_text = {r["_id"]: r["text"] for r in e_queries}
    q_lang = {r["_id"]: lang_of(r["_id"]) for r in e_queries}
    rel = [jaccard(q_text[q], text_of[c]) for q, c in qrels]
    rnd = [jaccard(q_text[q], rng.choice(e_by_lang[q_lang[q]])["text"]) for q, c in qrels]
    print("overlap: mean Jaccard(query, relevant passage) = %.3f; (query, random same-language passage) = %.3f"
          % (sum(rel) / len(rel), sum(rnd) / len(rnd)))
    same_t = []
    for q, c in qrels:
        lang, tid = c.split("-", 1)[0], c.split("-", 1)[1].rsplit("-", 1)[0]
        sib = [x["passage"] for x in evals[(tid, lang)] if x["id"] != c]
        same_t.append(jaccard(q_text[q], rng.choice(sib)))
    print("overlap: mean Jaccard(query, same-template distractor)  = %.3f" % (sum(same_t) / len(same_t)))
    # BM25 baseline over the whole held-out corpus
    ids = [r["_id"] for r in e_corpus]
    score = bm25_scores([r["title"] + " " + r["text"] for r in e_corpus])
    mrr = r1 = r10 = 0.0
    for q, c in qrels:
        s = score(q_text[q])
        ranked = sorted(range(len(ids)), key=lambda i: -s[i])
        rank = [ids[i] for i in ranked].index(c) + 1
        mrr += 1 / rank if rank <= 10 else 0
        r1 += rank == 1
        r10 += rank <= 10
    n = len(qrels)
    print("BM25 (title+text) on held-out retrieval: MRR@10=%.3f Recall@1=%.3f Recall@10=%.3f" % (mrr / n, r1 / n, r10 / n))
    size = 0
    for root, _, files in os.walk(out):
        for f in files:
            if not f.endswith(".py") and not f.endswith(".md"):
                size += os.path.getsize(os.path.join(root, f))
    print("total size of generated files: %.2f MB" % (size / 1e6))


if __name__ == "__main__":
    main()
