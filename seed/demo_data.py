"""The demo Kommune "Stadt Lindenfeld" as plain Python data (read by ``seed.demo``).

Everything here is fictional and written for this product. The themes follow the source
documents (Digitale Agenda with the fields Verwaltung, Bürgerinnen & Bürger, Mitarbeitende,
plus Smart City and Schulen; OZG services; a coordinating office and Digital-Navigator).
The reference day of the demo is 23.11.2026: some status reports are older than the
quarterly interval of 91 days on that day and show as overdue.
"""

from __future__ import annotations

from datetime import date
from typing import Any

D = date.fromisoformat

KOMMUNE_NAME = "Stadt Lindenfeld"
BUDGET_YEAR = 2026
REPORT_INTERVAL_DAYS = 91

#: (code, name)
DEPARTMENTS: list[tuple[str, str]] = [
    ("BM", "Verwaltungsleitung"),
    ("SD", "Stabsstelle Change & Digitalisierung"),
    ("FB 1", "Zentrale Dienste, Personal und IT"),
    ("FB 2", "Finanzen und Kämmerei"),
    ("FB 3", "Bürgerservice und Ordnung"),
    ("FB 4", "Bildung, Jugend und Soziales"),
    ("FB 5", "Bauen und Stadtentwicklung"),
    ("FB 6", "Umwelt, Mobilität und Smart City"),
]

#: (username, full name, role value, department code)
USERS: list[tuple[str, str, str, str]] = [
    ("koordination", "Jana Albrecht", "coordinator", "SD"),
    ("lotse", "Tobias Winkler", "coordinator", "SD"),
    ("kaemmerei", "Petra Hoffmann", "treasury", "FB 2"),
    ("buergermeisterin", "Dr. Karin Lehmann", "leadership", "BM"),
    ("admin", "Marco Brandt", "admin", "FB 1"),
    ("fb1", "Sabine Krüger", "submitter", "FB 1"),
    ("fb3", "Mehmet Yılmaz", "submitter", "FB 3"),
    ("fb4", "Anna Schubert", "submitter", "FB 4"),
    ("fb5", "Lukas Becker", "submitter", "FB 5"),
    ("fb6", "Friederike Wolf", "submitter", "FB 6"),
]

AGENDA: dict[str, Any] = {
    "title": "Digitale Agenda Lindenfeld 2030",
    "version_no": 1,
    "adopted_on": D("2025-03-27"),
    "fields": [
        {
            "code": "V",
            "name": "Verwaltung",
            "color": "#1f5fa8",
            "description": "Wie die Verwaltung intern arbeitet: Steuerung, Prozesse, Technik.",
            "goals": [
                (
                    "V-1",
                    "Digitalisierung zentral steuern",
                    "Eine Koordinationsstelle bündelt alle Vorhaben, priorisiert sie und "
                    "berichtet der Verwaltungsleitung regelmäßig.",
                ),
                (
                    "V-2",
                    "Wichtige Verwaltungsleistungen online anbieten (OZG)",
                    "Die meistgenutzten Leistungen lassen sich vollständig online beantragen, "
                    "vorrangig durch Nachnutzung fertiger Lösungen.",
                ),
                (
                    "V-3",
                    "Arbeitsprozesse durchgängig digital gestalten",
                    "Vorgänge laufen ohne Medienbruch vom Eingang bis zur Ablage: E-Akte, "
                    "E-Rechnung, digitale Workflows.",
                ),
                (
                    "V-4",
                    "Zeitgemäße Arbeitsplätze und mobiles Arbeiten",
                    "Beschäftigte arbeiten mit moderner Hard- und Software, auch unterwegs "
                    "und im Homeoffice.",
                ),
                (
                    "V-5",
                    "Digitale Mindeststandards und Informationssicherheit",
                    "Verbindliche Standards für Software, Schnittstellen und IT-Sicherheit "
                    "gelten für alle neuen Vorhaben.",
                ),
            ],
        },
        {
            "code": "B",
            "name": "Bürgerinnen & Bürger",
            "color": "#b3541e",
            "description": "Das digitale Angebot der Stadt aus Sicht der Menschen, die es nutzen.",
            "goals": [
                (
                    "B-1",
                    "Angebote am Nutzen der Bürgerinnen und Bürger ausrichten",
                    "Neue Online-Dienste werden mit Nutzenden erprobt und nach ihren "
                    "Rückmeldungen verbessert.",
                ),
                (
                    "B-2",
                    "Weitere Kontaktkanäle eröffnen",
                    "Neben Schalter und Telefon: Rathaus-App, Videoberatung und digitale "
                    "Terminbuchung.",
                ),
                (
                    "B-3",
                    "Zufriedenheit regelmäßig messen",
                    "Befragungen zeigen, wie zufrieden die Menschen mit den digitalen "
                    "Angeboten sind.",
                ),
            ],
        },
        {
            "code": "M",
            "name": "Mitarbeitende",
            "color": "#2e7d32",
            "description": "Befähigung, Beteiligung und Kommunikation im Haus.",
            "goals": [
                (
                    "M-1",
                    "Offen über die Digitalisierung informieren",
                    "Ein Newsletter und das Intranet berichten laufend über Vorhaben und "
                    "Ergebnisse.",
                ),
                (
                    "M-2",
                    "Digitale Kompetenzen stärken",
                    "Alle Beschäftigten erhalten Qualifizierungsangebote, etwa den Digitalen "
                    "Führerschein und Fachkonferenzen.",
                ),
                (
                    "M-3",
                    "Digitale Scouts in allen Fachbereichen",
                    "Ernannte Multiplikatorinnen und Multiplikatoren unterstützen ihre "
                    "Kolleginnen und Kollegen vor Ort.",
                ),
                (
                    "M-4",
                    "Ideen der Beschäftigten aufgreifen",
                    "Ein Vorschlagswesen sammelt Verbesserungsideen und bindet die "
                    "Beschäftigten in Projekte ein.",
                ),
                (
                    "M-5",
                    "Führung und Personalentwicklung auf den Wandel ausrichten",
                    "Führungskräfte gehen mit gutem Beispiel voran; die Personalentwicklung "
                    "greift digitale Themen auf.",
                ),
            ],
        },
        {
            "code": "S",
            "name": "Smart City",
            "color": "#6a3d9a",
            "description": "Daten und Sensorik für Umwelt, Mobilität und Daseinsvorsorge.",
            "goals": [
                (
                    "S-1",
                    "Sensorik für bessere Entscheidungen",
                    "Messdaten zu Verkehr, Luft und Wasser stehen zeitnah auf einer "
                    "städtischen Datenplattform bereit.",
                ),
                (
                    "S-2",
                    "Offene Daten bereitstellen",
                    "Nicht personenbezogene Daten der Stadt werden maschinenlesbar veröffentlicht.",
                ),
                (
                    "S-3",
                    "Mobilität und Parken digital steuern",
                    "Parkraum und Verkehrsflüsse werden digital erfasst und gelenkt.",
                ),
            ],
        },
        {
            "code": "SCH",
            "name": "Schulen",
            "color": "#00695c",
            "description": "Digitale Lernumgebungen in den Schulen in städtischer Trägerschaft.",
            "goals": [
                (
                    "SCH-1",
                    "Leistungsfähige Netze in allen Schulgebäuden",
                    "Jede Schule hat einen Glasfaseranschluss und flächendeckendes WLAN.",
                ),
                (
                    "SCH-2",
                    "Mobile Endgeräte für Lernende und Lehrkräfte",
                    "Klassensätze an Tablets und Dienstgeräte für Lehrkräfte werden "
                    "beschafft und betreut.",
                ),
                (
                    "SCH-3",
                    "Digitale Lehr- und Lerninfrastruktur ausbauen",
                    "Lernplattform, Präsentationstechnik und Schulserver werden zentral "
                    "bereitgestellt.",
                ),
            ],
        },
    ],
}

#: key -> budget line. Amounts per year are the approved amounts (Ansatz / Planung).
BUDGET_LINES: dict[str, dict[str, Any]] = {
    "sd_projekte": {
        "product": "1.1.1.02",
        "cost_center": "10020",
        "account": "54290000",
        "kind": "consumptive",
        "department": "SD",
        "name": "Projektmittel Change & Digitalisierung",
        "amounts": {2026: "60000", 2027: "60000", 2028: "55000", 2029: "55000"},
    },
    "sd_experiment": {
        "product": "1.1.1.02",
        "cost_center": "10020",
        "account": "54299000",
        "kind": "consumptive",
        "department": "SD",
        "name": "Experimentierbudget Digitalisierung",
        "amounts": {2026: "20000", 2027: "20000", 2028: "20000", 2029: "20000"},
    },
    "it_lizenzen": {
        "product": "1.1.1.05",
        "cost_center": "11050",
        "account": "54310000",
        "kind": "consumptive",
        "department": "FB 1",
        "name": "Softwarelizenzen und Pflege",
        "amounts": {2026: "95000", 2027: "80000", 2028: "80000", 2029: "80000"},
        # Licences and maintenance of the systems in use: most of the line is bound.
        "base_load": {2026: "55000", 2027: "55000", 2028: "57000", 2029: "57000"},
    },
    "it_fortbildung": {
        "product": "1.1.1.04",
        "cost_center": "11040",
        "account": "54210000",
        "kind": "consumptive",
        "department": "FB 1",
        "name": "Fortbildung digitale Kompetenzen",
        "amounts": {2026: "25000", 2027: "15000", 2028: "15000", 2029: "15000"},
    },
    "it_hardware": {
        "product": "1.1.1.05",
        "cost_center": "11050",
        "account": "78310000",
        "investment_number": "I-2026-003",
        "kind": "investive",
        "department": "FB 1",
        "name": "Arbeitsplatzausstattung und mobile Geräte",
        "amounts": {2026: "150000", 2027: "120000", 2028: "60000", 2029: "60000"},
    },
    "it_eakte": {
        "product": "1.1.1.05",
        "cost_center": "11050",
        "account": "78320000",
        "investment_number": "I-2025-011",
        "kind": "investive",
        "department": "FB 1",
        "name": "Einführung E-Akte",
        "amounts": {2026: "150000", 2027: "100000", 2028: "0", 2029: "0"},
        "commitments": [(2026, 2027, "50000", "E-Akte in der Kernverwaltung (Stufe 1)")],
    },
    "fin_software": {
        "product": "1.1.2.01",
        "cost_center": "20010",
        "account": "54310000",
        "kind": "consumptive",
        "department": "FB 2",
        "name": "Finanzsoftware und E-Rechnung",
        "amounts": {2026: "30000", 2027: "30000", 2028: "30000", 2029: "30000"},
        "base_load": {2026: "18000", 2027: "18000", 2028: "18500", 2029: "18500"},
    },
    "bs_online": {
        "product": "1.2.2.01",
        "cost_center": "32010",
        "account": "54310000",
        "kind": "consumptive",
        "department": "FB 3",
        "name": "Online-Dienste Bürgerservice",
        "amounts": {2026: "45000", 2027: "45000", 2028: "40000", 2029: "40000"},
        "base_load": {2026: "9000", 2027: "9000", 2028: "9000", 2029: "9000"},
    },
    "bs_app": {
        "product": "1.2.2.01",
        "cost_center": "32010",
        "account": "78310000",
        "investment_number": "I-2027-002",
        "kind": "investive",
        "department": "FB 3",
        "name": "Rathaus-App und Kontaktkanäle",
        "amounts": {2026: "0", 2027: "0", 2028: "0", 2029: "0"},
    },
    "kita_software": {
        "product": "3.6.5.01",
        "cost_center": "51010",
        "account": "54310000",
        "kind": "consumptive",
        "department": "FB 4",
        "name": "Kita-Verwaltung und Online-Anmeldung",
        "amounts": {2026: "40000", 2027: "20000", 2028: "12000", 2029: "12000"},
        "base_load": {2026: "6000", 2027: "6000", 2028: "6000", 2029: "6000"},
    },
    "schule_geraete": {
        "product": "2.1.1.01",
        "cost_center": "40010",
        "account": "78310000",
        "investment_number": "I-2026-014",
        "kind": "investive",
        "department": "FB 4",
        "name": "Digitale Ausstattung Schulen (DigitalPakt)",
        "amounts": {2026: "240000", 2027: "180000", 2028: "60000", 2029: "60000"},
        "commitments": [(2026, 2027, "120000", "Tablets für die Grundschulen")],
    },
    "schule_netze": {
        "product": "2.1.1.01",
        "cost_center": "40010",
        "account": "78510000",
        "investment_number": "I-2026-015",
        "kind": "investive",
        "department": "FB 4",
        "name": "Schulnetze, WLAN und Glasfaser",
        "amounts": {2026: "200000", 2027: "150000", 2028: "100000", 2029: "0"},
        "commitments": [
            (2026, 2027, "80000", "WLAN in allen Schulgebäuden"),
            (2026, 2028, "40000", "WLAN in allen Schulgebäuden"),
        ],
    },
    "bau_software": {
        # Produktrahmen: 5.2.1 Bau- und Grundstücksordnung (Bauaufsicht).
        "product": "5.2.1.01",
        "cost_center": "61010",
        "account": "54310000",
        "kind": "consumptive",
        "department": "FB 5",
        "name": "Digitales Baugenehmigungsverfahren",
        "amounts": {2026: "40000", 2027: "25000", 2028: "12000", 2029: "12000"},
    },
    "sc_sensorik": {
        "product": "5.4.1.01",
        "cost_center": "66010",
        "account": "78310000",
        "investment_number": "I-2026-021",
        "kind": "investive",
        "department": "FB 6",
        "name": "Sensorik und urbane Datenplattform",
        "amounts": {2026: "110000", 2027: "60000", 2028: "20000", 2029: "0"},
        "commitments": [(2026, 2027, "40000", "Parkraumsensorik in der Innenstadt")],
    },
    "sc_betrieb": {
        "product": "5.4.1.01",
        "cost_center": "66010",
        "account": "54310000",
        "kind": "consumptive",
        "department": "FB 6",
        "name": "Betrieb Smart-City-Plattform",
        "amounts": {2026: "15000", 2027: "20000", 2028: "20000", 2029: "20000"},
        "base_load": {2026: "4000", 2027: "4000", 2028: "4000", 2029: "4000"},
    },
}

#: DigitalPakt Schule 2.0: Bund and Länder fund half each (50 % of the eligible cost).
DIGITALPAKT = ("grant", "DigitalPakt Schule 2.0", "50")
SMART_CITIES = ("grant", "Modellprojekte Smart Cities", "65")
LANDESFOERDERUNG = ("grant", "Landesförderung Digitale Kommune", "50")
#: The OZG obliges to offer services online; since its 2024 amendment it sets no general
#: deadline (the original one ended with 2022), so the demo invents none.
OZG_BASIS = "Onlinezugangsgesetz (OZG) – Pflicht zum Online-Angebot, ohne gesetzliche Frist"
OZG_FOLGE = ("third_party", "Kostenbeteiligung Zweckverband Kommunale IT", "30")


def cost(
    line: str,
    amounts: dict[int, str | int],
    funding: tuple[str, str, str] | None = None,
    running: bool = False,
) -> dict[str, Any]:
    """One cost-plan block: amounts per year on one budget line with one funding source."""
    return {"line": line, "amounts": amounts, "funding": funding, "running": running}


def report(
    on: str,
    lights: str,
    progress: int,
    text: str,
    next_steps: str = "",
    risks: str = "",
) -> dict[str, Any]:
    """A status report; ``lights`` are schedule, cost, scope as letters g/y/r, e.g. "gyg"."""
    return {
        "on": D(on),
        "lights": lights,
        "progress": progress,
        "text": text,
        "next_steps": next_steps,
        "risks": risks,
    }


#: The measures. ``submitted`` is the day the department submitted it (drives the history);
#: ``decision`` is the reason recorded with the office's last decision.
MEASURES: list[dict[str, Any]] = [
    # ------------------------------------------------------------------ in progress
    {
        "title": "Digitaler Bauantrag",
        "contractually_bound": True,
        "description": (
            "Bauanträge, Bauvoranfragen und Nachreichungen gehen künftig vollständig "
            "elektronisch ein. Wir übernehmen die im Länderverbund entwickelte Lösung und "
            "binden sie an unser Fachverfahren der Bauaufsicht an, sodass Beteiligte "
            "Stellungnahmen direkt im Vorgang abgeben."
        ),
        "department": "FB 5",
        "owner": "fb5",
        "category": "digital_administration",
        "kind": "project",
        "status": "in_progress",
        "start": D("2025-09-01"),
        "end": D("2027-06-30"),
        "submitted": D("2025-06-02"),
        "goals": ["V-2", "V-3", "B-1"],
        "ozg": {
            "leika": "99150201001000",
            "service": "Baugenehmigung beantragen",
            "maturity": 3,
            "implementation": "reuse",
        },
        "legal": (OZG_BASIS, None),
        "running_costs": "12000",
        "costs": [
            cost("bau_software", {2026: 38000, 2027: 24000}),
            cost("bau_software", {2028: 12000, 2029: 12000}, running=True),
        ],
        "milestones": [
            ("Nachnutzungsvereinbarung unterzeichnet", "2025-12-15", "2025-12-10"),
            ("Schnittstelle zum Fachverfahren abgenommen", "2026-06-30", "2026-07-21"),
            ("Pilotbetrieb mit fünf Architekturbüros", "2026-10-31", None),
            ("Regelbetrieb für alle Verfahrensarten", "2027-03-31", None),
        ],
        "reports": [
            report(
                "2026-06-05",
                "ggg",
                35,
                "Schnittstelle im Test, Schulungskonzept für die Bauaufsicht steht.",
                "Abnahme der Schnittstelle, Auswahl der Pilotbüros.",
            ),
            report(
                "2026-09-04",
                "ygg",
                55,
                "Abnahme der Schnittstelle drei Wochen später als geplant, Pilot verschiebt "
                "sich in den November.",
                "Pilotbetrieb starten, Rückmeldungen der Büros auswerten.",
                "Personalengpass in der Bauaufsicht während der Pilotphase.",
            ),
        ],
        "key_figures": [
            (
                "Anteil online eingereichter Bauanträge",
                "%",
                "0",
                "60",
                [("2026-03-31", "4"), ("2026-06-30", "12"), ("2026-09-30", "21")],
            )
        ],
    },
    {
        "title": "Online-Kita-Anmeldung mit zentraler Platzvergabe",
        "contractually_bound": True,
        "description": (
            "Eltern melden ihren Betreuungsbedarf über ein Portal für alle Einrichtungen an, "
            "statt sich bei jeder Kita einzeln vormerken zu lassen. Die Platzvergabe erfolgt "
            "zentral nach transparenten Kriterien; Doppelanmeldungen entfallen."
        ),
        "department": "FB 4",
        "owner": "fb4",
        "category": "digital_administration",
        "kind": "project",
        "status": "in_progress",
        "start": D("2026-01-15"),
        "end": D("2027-03-31"),
        "submitted": D("2025-10-13"),
        "goals": ["V-2", "B-1", "B-2"],
        "ozg": {
            "leika": "99059019000000",
            "service": "Betreuungsplatz in einer Kindertageseinrichtung beantragen",
            "maturity": 3,
            "implementation": "own",
        },
        "legal": (OZG_BASIS, None),
        "political_mandate": True,
        "running_costs": "9000",
        "costs": [
            cost("kita_software", {2026: 32000, 2027: 14000}, LANDESFOERDERUNG),
            cost("kita_software", {2028: 9000, 2029: 9000}, running=True),
        ],
        "milestones": [
            (
                "Vergabekriterien mit dem Jugendhilfeausschuss abgestimmt",
                "2026-03-31",
                "2026-04-14",
            ),
            ("Portal für zwei Pilot-Kitas freigeschaltet", "2026-09-01", None),
            ("Alle Einrichtungen angebunden", "2027-02-28", None),
        ],
        "reports": [
            report(
                "2026-04-17",
                "ggg",
                20,
                "Kriterien beschlossen, Anbieter beauftragt.",
                "Einrichtung der Pilot-Kitas.",
            ),
            report(
                "2026-07-10",
                "yyg",
                35,
                "Datenübernahme aus den Vormerklisten aufwendiger als erwartet.",
                "Bereinigung der Vormerklisten, Start Pilot.",
                "Pilotstart zum Kita-Jahr 2026/27 gefährdet.",
            ),
        ],
        "key_figures": [
            (
                "Anteil online eingegangener Kita-Anmeldungen",
                "%",
                "0",
                "80",
                [("2026-06-30", "0"), ("2026-09-30", "14")],
            )
        ],
    },
    {
        "title": "E-Akte in der Kernverwaltung (Stufe 1)",
        "useful_life": 10,
        "contractually_bound": True,
        "description": (
            "Einführung der elektronischen Akte zunächst im Haupt-, Personal- und "
            "Ordnungsamt. Dazu gehören ein Aktenplan für die ganze Stadt, das Scannen des "
            "Posteingangs und die Schulung aller Beschäftigten der ersten Stufe."
        ),
        "department": "FB 1",
        "owner": "fb1",
        "category": "digital_administration",
        "kind": "project",
        "status": "in_progress",
        "start": D("2025-04-01"),
        "end": D("2027-12-31"),
        "submitted": D("2025-01-20"),
        "goals": ["V-3", "V-5"],
        "operation_critical": True,
        "running_costs": "38000",
        "costs": [
            cost("it_eakte", {2026: 180000, 2027: 150000}),
            cost("it_lizenzen", {2026: 42000, 2027: 42000}),
            cost("it_lizenzen", {2028: 38000, 2029: 38000}, running=True),
        ],
        "milestones": [
            ("Stadtweiter Aktenplan beschlossen", "2025-09-30", "2025-10-20"),
            ("Scanstelle im Posteingang in Betrieb", "2026-03-31", "2026-03-27"),
            ("Personalamt arbeitet vollständig digital", "2026-09-30", "2026-11-02"),
            ("Ordnungsamt arbeitet vollständig digital", "2027-06-30", None),
        ],
        "reports": [
            report(
                "2026-07-03",
                "gyg",
                45,
                "Scanstelle läuft, Personalamt im Echtbetrieb ab Oktober.",
                "Migration der Personalakten.",
            ),
            report(
                "2026-10-02",
                "yrg",
                55,
                "Lizenzmodell des Herstellers geändert, Mehrkosten von rund 18.000 € pro Jahr. "
                "Personalamt startet vier Wochen später.",
                "Nachverhandlung mit dem Hersteller, Entscheidung über Deckung.",
                "Ohne zusätzliche Mittel muss Stufe 2 verschoben werden.",
            ),
        ],
    },
    {
        "title": "Online-Terminvergabe im Bürgerbüro",
        "description": (
            "Termine für Ausweise, Meldeangelegenheiten und Beglaubigungen werden online "
            "gebucht, mit Erinnerung per E-Mail. Offene Sprechzeiten bleiben für Menschen "
            "ohne Internetzugang erhalten."
        ),
        "department": "FB 3",
        "owner": "fb3",
        "category": "digital_administration",
        "kind": "action",
        "status": "in_progress",
        "start": D("2026-02-01"),
        "end": D("2026-12-31"),
        "submitted": D("2025-11-03"),
        "goals": ["B-1", "B-2"],
        "running_costs": "4800",
        "costs": [
            cost("bs_online", {2026: 14500}),
            cost("bs_online", {2027: 4800, 2028: 4800, 2029: 4800}, running=True),
        ],
        "milestones": [
            ("Buchungssystem eingerichtet", "2026-04-30", "2026-04-28"),
            ("Freischaltung für alle Dienstleistungen", "2026-07-01", "2026-07-01"),
        ],
        "reports": [
            report(
                "2026-09-25",
                "ggg",
                85,
                "Rund zwei Drittel der Vorsprachen laufen mit Termin, Wartezeiten deutlich kürzer.",
                "Auswertung nach einem Jahr, Abschluss im Dezember.",
            )
        ],
        "key_figures": [
            (
                "Durchschnittliche Wartezeit ohne Termin",
                "Minuten",
                "45",
                "15",
                [("2026-03-31", "44"), ("2026-06-30", "31"), ("2026-09-30", "19")],
            )
        ],
    },
    {
        "title": "Tablets für die Grundschulen",
        "useful_life": 5,
        "contractually_bound": True,
        "description": (
            "Ausstattung der vier Grundschulen mit Klassensätzen an Tablets, "
            "Ladewagen und einer zentralen Geräteverwaltung. Grundlage ist der "
            "Medienentwicklungsplan; der Support läuft über den IT-Service."
        ),
        "department": "FB 4",
        "owner": "fb4",
        "category": "school",
        "kind": "project",
        "status": "in_progress",
        "start": D("2025-08-01"),
        "end": D("2027-07-31"),
        "submitted": D("2025-04-14"),
        "goals": ["SCH-2", "SCH-3"],
        "running_costs": "21000",
        "costs": [
            cost("schule_geraete", {2026: 160000, 2027: 90000}, DIGITALPAKT),
            cost("it_lizenzen", {2027: 6000, 2028: 21000, 2029: 21000}, running=True),
        ],
        "milestones": [
            ("Geräte für Grundschule Am Lindenplatz ausgeliefert", "2025-11-30", "2025-12-05"),
            ("Geräte für alle vier Grundschulen ausgeliefert", "2026-08-31", "2026-09-12"),
        ],
        "reports": [
            report(
                "2026-09-18",
                "ggg",
                70,
                "Alle Grundschulen ausgestattet; Fortbildung der Lehrkräfte läuft.",
                "Zweite Fortbildungsrunde, Ersatzgerätepool aufbauen.",
            )
        ],
    },
    {
        "title": "WLAN in allen Schulgebäuden",
        "useful_life": 10,
        "description": (
            "Flächendeckendes WLAN in allen Unterrichtsräumen der sieben Schulen in "
            "städtischer Trägerschaft, einschließlich Verkabelung und Netzwerktechnik. "
            "Die frühere Projektleitung hat die Stadt verlassen; eine Nachfolge ist noch "
            "nicht benannt."
        ),
        "department": "FB 4",
        "owner": None,
        "category": "school",
        "kind": "project",
        "status": "in_progress",
        "start": D("2025-10-01"),
        "end": D("2027-09-30"),
        "submitted": D("2025-05-05"),
        "goals": ["SCH-1"],
        "costs": [
            cost("schule_netze", {2026: 210000, 2027: 160000, 2028: 60000}, DIGITALPAKT),
        ],
        "milestones": [
            ("Ausschreibung Netzwerktechnik vergeben", "2026-02-28", "2026-03-16"),
            ("Gymnasium und Oberschule ausgeleuchtet", "2026-10-31", None),
        ],
        "reports": [
            report(
                "2026-05-20",
                "yyg",
                25,
                "Vergabe verzögert, Baufirma beginnt in den Sommerferien.",
                "Verkabelung in den Sommerferien.",
                "Preissteigerung bei der Netzwerktechnik.",
            )
        ],
    },
    {
        "title": "Parkraumsensorik in der Innenstadt",
        "useful_life": 8,
        "description": (
            "Bodensensoren auf rund 400 Stellplätzen melden die Belegung an die "
            "Datenplattform. Ein Parkleitsystem und die Rathaus-App zeigen freie Plätze an; "
            "der Parksuchverkehr soll spürbar sinken."
        ),
        "department": "FB 6",
        "owner": "fb6",
        "category": "smart_city",
        "kind": "project",
        "status": "in_progress",
        "start": D("2026-03-01"),
        "end": D("2027-02-28"),
        "submitted": D("2025-11-24"),
        "goals": ["S-1", "S-3"],
        "running_costs": "11000",
        "costs": [
            cost("sc_sensorik", {2026: 95000, 2027: 20000}, SMART_CITIES),
            cost("sc_betrieb", {2027: 11000, 2028: 11000, 2029: 11000}, running=True),
        ],
        "milestones": [
            ("LoRaWAN-Gateways installiert", "2026-05-31", "2026-06-10"),
            ("Sensoren Marktplatz und Bahnhofstraße in Betrieb", "2026-09-30", "2026-09-29"),
            ("Parkleitsystem angebunden", "2027-01-31", None),
        ],
        "reports": [
            report(
                "2026-09-30",
                "ggy",
                60,
                "Sensoren liefern zuverlässig; Anbindung des Parkhauses Nord ist nicht "
                "Teil des Auftrags und wird gesondert geprüft.",
                "Parkleitsystem anbinden.",
            )
        ],
        "key_figures": [
            (
                "Stellplätze mit Belegungssensor",
                "Anzahl",
                "0",
                "400",
                [("2026-06-30", "80"), ("2026-09-30", "260")],
            )
        ],
    },
    {
        "title": "Pegelmessung an Lindenbach und Mühlgraben",
        "description": (
            "Fünf Pegelsensoren messen den Wasserstand und warnen Feuerwehr und "
            "Ordnungsamt bei steigenden Pegeln automatisch. Die Werte werden zusätzlich "
            "als offene Daten veröffentlicht."
        ),
        "department": "FB 6",
        "owner": "fb6",
        "category": "smart_city",
        "kind": "project",
        "status": "in_progress",
        "start": D("2026-04-01"),
        "end": D("2027-03-31"),
        "submitted": D("2025-12-08"),
        "goals": ["S-1", "S-2"],
        "operation_critical": True,
        "running_costs": "3500",
        "costs": [
            cost("sc_sensorik", {2026: 48000}, SMART_CITIES),
            cost("sc_betrieb", {2027: 3500, 2028: 3500, 2029: 3500}, running=True),
        ],
        "milestones": [
            ("Messstellen mit der Wasserbehörde abgestimmt", "2026-05-31", "2026-05-22"),
            ("Sensoren montiert", "2026-09-30", None),
        ],
        "reports": [
            report(
                "2026-08-01",
                "rgg",
                30,
                "Lieferverzug bei den Radarsensoren um voraussichtlich zehn Wochen.",
                "Ersatzlieferant prüfen, Montage vor dem Winter sichern.",
                "Ohne Sensoren vor dem Herbsthochwasser keine Frühwarnung.",
            )
        ],
    },
    {
        "title": "Notebooks statt Desktop-PCs für mobiles Arbeiten",
        "useful_life": 5,
        "description": (
            "Schrittweiser Austausch der Arbeitsplatzrechner gegen Notebooks mit "
            "Dockingstation, sicherem VPN-Zugang und Headset. Damit können Beschäftigte im "
            "Homeoffice, im Außendienst und in Besprechungen arbeiten."
        ),
        "department": "FB 1",
        "owner": "fb1",
        "category": "infrastructure",
        "kind": "project",
        "status": "in_progress",
        "start": D("2025-07-01"),
        "end": D("2027-06-30"),
        "submitted": D("2025-03-10"),
        "goals": ["V-4", "V-5"],
        "costs": [cost("it_hardware", {2026: 135000, 2027: 95000})],
        "milestones": [
            ("Rahmenvertrag geschlossen", "2025-09-30", "2025-09-15"),
            ("Hälfte der Arbeitsplätze umgestellt", "2026-06-30", "2026-06-26"),
        ],
        "reports": [
            report(
                "2026-10-15",
                "ggg",
                60,
                "240 von 400 Arbeitsplätzen umgestellt.",
                "Umstellung Bürgerservice und Bauverwaltung.",
            )
        ],
    },
    {
        "title": "Digitaler Führerschein für alle Beschäftigten",
        "description": (
            "Ein modulares Lernangebot vermittelt Grundlagen: sicherer Umgang mit E-Mail "
            "und Passwörtern, Zusammenarbeit in geteilten Dokumenten, Videokonferenzen und "
            "die E-Akte. Wer alle Module abschließt, erhält ein Zertifikat."
        ),
        "department": "SD",
        "owner": "lotse",
        "category": "staff",
        "kind": "action",
        "status": "in_progress",
        "start": D("2026-01-01"),
        "end": D("2026-12-31"),
        "submitted": D("2025-09-15"),
        "goals": ["M-2"],
        "costs": [
            cost("it_fortbildung", {2026: 18000}, LANDESFOERDERUNG),
            cost("it_fortbildung", {2027: 4000, 2028: 4000}, running=True),
        ],
        "reports": [
            report(
                "2026-09-10",
                "ggg",
                75,
                "Alle Module online; Teilnahme in den Fachbereichen sehr unterschiedlich.",
                "Gezielte Ansprache über die Digitalen Scouts.",
            )
        ],
        "key_figures": [
            (
                "Beschäftigte mit abgeschlossenem Digitalen Führerschein",
                "Anzahl",
                "0",
                "300",
                [("2026-03-31", "35"), ("2026-06-30", "118"), ("2026-09-30", "176")],
            )
        ],
    },
    {
        "title": "Netzwerk Digitale Scouts",
        "description": (
            "In jedem Fachbereich sind zwei Scouts benannt. Sie erproben neue Werkzeuge "
            "zuerst, helfen Kolleginnen und Kollegen bei Fragen und treffen sich monatlich "
            "mit der Koordinationsstelle."
        ),
        "department": "SD",
        "owner": "lotse",
        "category": "staff",
        "kind": "permanent_task",
        "status": "in_progress",
        "start": D("2025-11-01"),
        "end": D("2029-12-31"),
        "submitted": D("2025-08-18"),
        "goals": ["M-3", "M-2"],
        "report_interval_days": 182,
        "costs": [
            cost("sd_projekte", {2026: 6000, 2027: 6000, 2028: 6000, 2029: 6000}),
        ],
        "reports": [
            report(
                "2026-06-30",
                "ggg",
                50,
                "16 Scouts aktiv, monatliche Treffen etabliert.",
                "Austausch mit den Scouts der Nachbargemeinden.",
            )
        ],
    },
    # ------------------------------------------------------------------ approved
    {
        "title": "Rathaus-App „Lindenfeld mobil“",
        "description": (
            "Eine App bündelt Termine, Abfallkalender, Mängelmeldungen, freie Parkplätze "
            "und Neuigkeiten der Stadt. Angebunden werden vorhandene Dienste; die App ersetzt "
            "keine Online-Formulare, sondern führt zu ihnen."
        ),
        "department": "FB 3",
        "owner": "fb3",
        "category": "digital_administration",
        "kind": "project",
        "status": "approved",
        "start": D("2027-01-01"),
        "end": D("2027-12-31"),
        "submitted": D("2026-08-31"),
        "goals": ["B-2", "B-1", "S-3"],
        "political_mandate": True,
        "running_costs": "18000",
        "costs": [
            cost("bs_app", {2027: 85000}),
            cost("bs_online", {2028: 18000, 2029: 18000}, running=True),
        ],
        "milestones": [("Ausschreibung veröffentlicht", "2027-02-28", None)],
        "decision": "Freigegeben vorbehaltlich der Veranschlagung im Haushalt 2027.",
    },
    {
        "title": "Videoberatung im Bürgerservice und Sozialamt",
        "description": (
            "Beratungen, die keine persönliche Vorsprache erfordern, finden auf Wunsch per "
            "Video statt. Termine werden über die Online-Terminvergabe gebucht; Dokumente "
            "können sicher hochgeladen werden."
        ),
        "department": "FB 3",
        "owner": "fb3",
        "category": "digital_administration",
        "kind": "action",
        "status": "approved",
        "start": D("2026-11-01"),
        "end": D("2027-06-30"),
        "submitted": D("2026-08-17"),
        "goals": ["B-2"],
        "costs": [cost("bs_online", {2026: 3000, 2027: 9000})],
        "decision": "Freigegeben als Erweiterung der Online-Terminvergabe.",
    },
    {
        "title": "Luftqualitätsmessnetz an Hauptverkehrsstraßen",
        "description": (
            "Zwölf kostengünstige Messstationen erfassen Feinstaub und Stickstoffdioxid. "
            "Die Daten fließen in die Verkehrsplanung ein und werden als offene Daten "
            "bereitgestellt."
        ),
        "department": "FB 6",
        "owner": "fb6",
        "category": "smart_city",
        "kind": "project",
        "status": "approved",
        "start": D("2026-07-01"),
        "end": D("2027-12-31"),
        "submitted": D("2026-03-02"),
        "goals": ["S-1", "S-2"],
        "running_costs": "6000",
        "costs": [
            cost("sc_sensorik", {2026: 30000, 2027: 42000}, SMART_CITIES),
            cost("sc_betrieb", {2028: 6000, 2029: 6000}, running=True),
        ],
        "answered": (
            "Sind die Standorte mit der unteren Immissionsschutzbehörde abgestimmt?",
            "Ja, die Standorte sind abgestimmt; das Protokoll ist in der Akte.",
        ),
        "decision": "Freigegeben; Förderbescheid liegt vor.",
    },
    {
        "title": "E-Rechnung und digitaler Rechnungsworkflow",
        "description": (
            "Eingangsrechnungen werden nur noch elektronisch angenommen, automatisch "
            "ausgelesen und im Workflow sachlich und rechnerisch geprüft. Papierrechnungen "
            "werden in der Übergangszeit zentral gescannt."
        ),
        "department": "FB 2",
        "owner": "kaemmerei",
        "category": "digital_administration",
        "kind": "project",
        "status": "approved",
        "start": D("2026-09-01"),
        "end": D("2027-09-30"),
        "submitted": D("2026-04-20"),
        "goals": ["V-3"],
        "legal": ("E-Rechnungsverordnung des Landes", D("2027-01-01")),
        "running_costs": "7500",
        "costs": [
            cost("fin_software", {2026: 24000, 2027: 26000}),
            cost("fin_software", {2028: 7500, 2029: 7500}, running=True),
        ],
        "reports": [
            report(
                "2026-10-30",
                "ggg",
                10,
                "Anbieterauswahl abgeschlossen, Einrichtung beginnt im Dezember.",
                "Workflow mit den Fachbereichen abstimmen.",
            )
        ],
        "decision": "Freigegeben; gesetzliche Frist beachten.",
    },
    {
        "title": "Schulserver und gemeinsame Lernplattform",
        "description": (
            "Ein zentral betriebener Schulserver ersetzt die Einzellösungen der Schulen; "
            "eine gemeinsame Lernplattform mit Single Sign-on steht allen Schulen zur "
            "Verfügung."
        ),
        "department": "FB 4",
        "owner": "fb4",
        "category": "school",
        "kind": "project",
        "status": "approved",
        "start": D("2027-02-01"),
        "end": D("2028-07-31"),
        "submitted": D("2026-06-15"),
        "goals": ["SCH-3"],
        "running_costs": "15000",
        "costs": [
            cost("schule_geraete", {2027: 120000, 2028: 40000}, DIGITALPAKT),
            cost("it_lizenzen", {2028: 15000, 2029: 15000}, running=True),
        ],
        "decision": "Freigegeben unter dem Vorbehalt der Förderzusage.",
    },
    {
        "title": "Befragung zur Zufriedenheit mit den Online-Diensten",
        "description": (
            "Eine kurze Online- und Papierbefragung fragt, wie Bürgerinnen und Bürger die "
            "digitalen Angebote nutzen und bewerten. Sie wird alle zwei Jahre wiederholt, "
            "damit Entwicklungen sichtbar werden."
        ),
        "department": "SD",
        "owner": "koordination",
        "category": "digital_administration",
        "kind": "action",
        "status": "approved",
        "start": D("2027-03-01"),
        "end": D("2027-06-30"),
        "submitted": D("2026-09-07"),
        "goals": ["B-3", "B-1"],
        "costs": [cost("sd_projekte", {2027: 12000, 2029: 12000})],
        "decision": "Freigegeben.",
    },
    # ------------------------------------------------------------------ completed
    {
        "title": "Koordinationsstelle „Change & Digitalisierung“ einrichten",
        "description": (
            "Aufbau einer Stabsstelle, die alle Digitalisierungsvorhaben bündelt, das "
            "Maßnahmenregister führt und die Digitale Agenda fortschreibt. Die Stelle des "
            "Digital-Navigators ist besetzt."
        ),
        "department": "SD",
        "owner": "koordination",
        "category": "digital_administration",
        "kind": "project",
        "status": "completed",
        "start": D("2024-10-01"),
        "end": D("2025-06-30"),
        "submitted": D("2024-07-01"),
        "goals": ["V-1"],
        "political_mandate": True,
        "reports": [
            report(
                "2025-06-30",
                "ggg",
                100,
                "Stabsstelle arbeitet, Register und Berichtswesen eingeführt.",
            )
        ],
    },
    {
        "title": "Wohnsitzanmeldung online",
        "description": (
            "Die elektronische Wohnsitzanmeldung wird über die im Länderverbund "
            "bereitgestellte Lösung angeboten. Wer einen Online-Ausweis besitzt, erledigt "
            "die Anmeldung ohne Termin."
        ),
        "department": "FB 3",
        "owner": "fb3",
        "category": "digital_administration",
        "kind": "project",
        "status": "completed",
        "start": D("2025-01-15"),
        "end": D("2026-03-31"),
        "submitted": D("2024-11-04"),
        "goals": ["V-2", "B-1"],
        "ozg": {
            "leika": "99115001017000",
            "service": "Wohnsitz anmelden",
            "maturity": 4,
            "implementation": "reuse",
        },
        "legal": (OZG_BASIS, None),
        "costs": [cost("bs_online", {2026: 6000})],
        "reports": [
            report(
                "2026-04-10",
                "ygg",
                100,
                "Dienst seit März im Regelbetrieb; drei Monate später als geplant.",
            )
        ],
        "key_figures": [
            (
                "Anteil online abgewickelter Wohnsitzanmeldungen",
                "%",
                "0",
                "30",
                [("2026-03-31", "9"), ("2026-06-30", "17"), ("2026-09-30", "22")],
            )
        ],
    },
    {
        "title": "Newsletter „Digital im Rathaus“",
        "description": (
            "Ein monatlicher Newsletter für alle Beschäftigten berichtet über laufende "
            "Vorhaben, Tipps der Digitalen Scouts und Termine."
        ),
        "department": "SD",
        "owner": "lotse",
        "category": "staff",
        "kind": "action",
        "status": "completed",
        "start": D("2025-05-01"),
        "end": D("2025-09-30"),
        "submitted": D("2025-03-03"),
        "goals": ["M-1"],
        "reports": [
            report(
                "2025-09-30",
                "ggg",
                100,
                "Fünf Ausgaben erschienen, Öffnungsrate rund 60 %.",
            )
        ],
    },
    {
        "title": "Videokonferenztechnik in den Besprechungsräumen",
        "description": (
            "Sechs Besprechungsräume erhalten Kamera, Raummikrofon und Bildschirm, damit "
            "hybride Besprechungen ohne Aufbau möglich sind."
        ),
        "department": "FB 1",
        "owner": "fb1",
        "category": "infrastructure",
        "kind": "action",
        "status": "completed",
        "start": D("2025-02-01"),
        "end": D("2025-11-30"),
        "submitted": D("2024-11-18"),
        "goals": ["V-4"],
        "reports": [
            report("2025-11-28", "ggg", 100, "Alle sechs Räume ausgestattet und abgenommen.")
        ],
    },
    # ------------------------------------------------------------------ submitted
    {
        "title": "Wohngeldantrag online",
        "description": (
            "Wohngeld soll online beantragt werden können, mit Upload der Nachweise. Wir "
            "nutzen den im Länderverbund entwickelten Online-Dienst nach und binden ihn an "
            "das Fachverfahren an."
        ),
        "department": "FB 4",
        "owner": "fb4",
        "category": "digital_administration",
        "kind": "project",
        "status": "submitted",
        "start": D("2027-01-01"),
        "end": D("2027-09-30"),
        "submitted": D("2026-11-09"),
        "goals": ["V-2"],
        "ozg": {
            "leika": "99107004017000",
            "service": "Wohngeld beantragen",
            "maturity": 3,
            "implementation": "reuse",
        },
        "legal": (OZG_BASIS, None),
        "costs": [
            cost("bs_online", {2027: 16000}, OZG_FOLGE),
            cost("bs_online", {2028: 3000, 2029: 3000}, running=True),
        ],
    },
    {
        "title": "Open-Data-Portal",
        "description": (
            "Die Stadt veröffentlicht Haushaltsdaten, Messwerte und Geodaten auf einem "
            "eigenen Portal unter offener Lizenz, angebunden an das Datenportal des Landes."
        ),
        "department": "FB 6",
        "owner": "fb6",
        "category": "smart_city",
        "kind": "project",
        "status": "submitted",
        "start": D("2027-01-01"),
        "end": D("2027-12-31"),
        "submitted": D("2026-10-26"),
        "goals": ["S-2"],
        "costs": [
            cost("sc_betrieb", {2027: 22000}, SMART_CITIES),
            cost("sc_betrieb", {2028: 5000, 2029: 5000}, running=True),
        ],
    },
    {
        "title": "Digitale Gremienarbeit für Rat und Ausschüsse",
        "description": (
            "Sitzungsunterlagen werden nur noch digital bereitgestellt; Ratsmitglieder "
            "erhalten Tablets mit der App des Ratsinformationssystems. Papierversand und "
            "Druckkosten entfallen weitgehend."
        ),
        "department": "BM",
        "owner": "koordination",
        "category": "digital_administration",
        "kind": "project",
        "status": "submitted",
        "start": D("2027-04-01"),
        "end": D("2027-10-31"),
        "submitted": D("2026-11-16"),
        "goals": ["V-3", "V-4"],
        "political_mandate": True,
        "costs": [
            cost("it_hardware", {2027: 42000}),
            cost("it_lizenzen", {2027: 5000, 2028: 5000, 2029: 5000}, running=True),
        ],
    },
    {
        "title": "Online-Bewerbungsverfahren",
        "description": (
            "Stellenausschreibungen, Bewerbungseingang und Auswahlverfahren laufen über ein "
            "Bewerbermanagement; Bewerbungen per Post und E-Mail entfallen."
        ),
        "department": "FB 1",
        "owner": "fb1",
        "category": "digital_administration",
        "kind": "project",
        "status": "submitted",
        "start": D("2027-01-01"),
        "end": D("2027-06-30"),
        "submitted": D("2026-10-12"),
        "goals": ["V-3"],
        "costs": [cost("it_lizenzen", {2027: 14000, 2028: 8000, 2029: 8000})],
    },
    {
        "title": "Online-Mängelmelder für Straßen und Grünflächen",
        "description": (
            "Schlaglöcher, defekte Laternen oder wilde Müllablagerungen können mit Foto und "
            "Standort gemeldet werden. Der Bauhof bearbeitet die Meldungen direkt und gibt "
            "Rückmeldung."
        ),
        "department": "FB 5",
        "owner": "fb5",
        "category": "digital_administration",
        "kind": "action",
        "status": "submitted",
        "start": D("2027-03-01"),
        "end": D("2027-09-30"),
        "submitted": D("2026-11-02"),
        "goals": ["B-1", "B-2"],
        "costs": [cost("bau_software", {2027: 9000, 2028: 3000, 2029: 3000})],
    },
    # ------------------------------------------------------------------ under review
    {
        "title": "Fernsteuerbare LED-Straßenbeleuchtung",
        "description": (
            "Umrüstung der Hauptstraßen auf LED-Leuchten, die nachts gedimmt und bei "
            "Bewegung heller geschaltet werden. Störungen melden die Leuchten selbst."
        ),
        "department": "FB 6",
        "owner": "fb6",
        "category": "smart_city",
        "kind": "project",
        "status": "under_review",
        "start": D("2027-04-01"),
        "end": D("2028-10-31"),
        "submitted": D("2026-09-28"),
        "goals": ["S-1", "S-3"],
        "costs": [
            cost("sc_sensorik", {2027: 90000, 2028: 70000}, SMART_CITIES),
        ],
    },
    {
        "title": "Gewerbeanmeldung online",
        "description": (
            "Gewerbean-, -um- und -abmeldungen werden online angenommen und automatisch an "
            "die beteiligten Stellen weitergeleitet."
        ),
        "department": "FB 3",
        "owner": "fb3",
        "category": "digital_administration",
        "kind": "project",
        "status": "under_review",
        "start": D("2027-01-15"),
        "end": D("2027-07-31"),
        "submitted": D("2026-10-05"),
        "goals": ["V-2"],
        "ozg": {
            "leika": "99050012104000",
            "service": "Gewerbe anmelden",
            "maturity": 2,
            "implementation": "reuse",
        },
        "legal": (OZG_BASIS, None),
        "costs": [cost("bs_online", {2027: 11000, 2028: 2500, 2029: 2500})],
    },
    {
        "title": "Glasfaseranbindung der Schulstandorte",
        "description": (
            "Die drei noch über Kupfer angebundenen Schulen erhalten einen eigenen "
            "Glasfaseranschluss. Ohne ihn reicht die Bandbreite für das neue WLAN nicht aus."
        ),
        "department": "FB 4",
        "owner": "fb4",
        "category": "school",
        "kind": "project",
        "status": "under_review",
        "start": D("2027-03-01"),
        "end": D("2028-02-29"),
        "submitted": D("2026-09-21"),
        "goals": ["SCH-1"],
        "costs": [cost("schule_netze", {2027: 95000, 2028: 45000}, DIGITALPAKT)],
    },
    {
        "title": "Digitale Personalakte",
        "description": (
            "Personalakten werden eingescannt und künftig nur noch elektronisch geführt, "
            "mit fein abgestuften Zugriffsrechten."
        ),
        "department": "FB 1",
        "owner": "fb1",
        "category": "digital_administration",
        "kind": "project",
        "status": "under_review",
        "start": D("2027-01-01"),
        "end": D("2027-12-31"),
        "submitted": D("2026-10-19"),
        "goals": ["V-3"],
        "costs": [cost("it_eakte", {2027: 40000}), cost("it_lizenzen", {2028: 6000, 2029: 6000})],
    },
    # ------------------------------------------------------------------ returned
    {
        "title": "Chatbot für häufige Bürgeranfragen",
        "description": (
            "Ein Chatbot auf der Website beantwortet wiederkehrende Fragen zu Öffnungszeiten, "
            "Unterlagen und Gebühren rund um die Uhr und verweist bei Bedarf an das "
            "Bürgerbüro."
        ),
        "department": "FB 3",
        "owner": "fb3",
        "category": "digital_administration",
        "kind": "action",
        "status": "returned",
        "start": D("2027-02-01"),
        "end": D("2027-08-31"),
        "submitted": D("2026-10-20"),
        "goals": ["B-2"],
        "costs": [cost("bs_online", {2027: 15000, 2028: 6000, 2029: 6000})],
        "decision": (
            "Bitte ergänzen Sie, wo die Anfragen verarbeitet werden (Datenschutz) und "
            "welche jährlichen Folgekosten nach der Einführung entstehen."
        ),
    },
    {
        "title": "Digitales Ideen- und Vorschlagswesen",
        "description": (
            "Beschäftigte reichen Verbesserungsideen über das Intranet ein, können Ideen "
            "anderer kommentieren und sehen, was aus ihrem Vorschlag geworden ist."
        ),
        "department": "FB 1",
        "owner": "fb1",
        "category": "staff",
        "kind": "action",
        "status": "returned",
        "start": D("2027-01-01"),
        "end": D("2027-06-30"),
        "submitted": D("2026-11-04"),
        "goals": ["M-4"],
        "costs": [cost("sd_experiment", {2027: 8000})],
        "decision": (
            "Ist der Personalrat schon beteiligt? Bitte beschreiben Sie außerdem, wer die "
            "Ideen sichtet und in welcher Frist geantwortet wird."
        ),
    },
    # ------------------------------------------------------------------ drafts
    {
        "title": "Hundesteuer online an- und abmelden",
        "description": "",
        "department": "FB 2",
        "owner": "kaemmerei",
        "category": "digital_administration",
        "kind": "action",
        "status": "draft",
        "start": D("2027-05-01"),
        "end": None,
        "submitted": None,
        "goals": ["V-2"],
    },
    {
        "title": "Tablets für den Außendienst des Ordnungsamts",
        "description": (
            "Der Kommunale Ordnungsdienst erfasst Verwarnungen und Feststellungen direkt vor "
            "Ort auf Tablets statt auf Papier."
        ),
        "department": "FB 3",
        "owner": "fb3",
        "category": "infrastructure",
        "kind": "action",
        "status": "draft",
        "start": D("2027-04-01"),
        "end": D("2027-09-30"),
        "submitted": None,
        "goals": ["V-4"],
        "costs": [cost("it_hardware", {2027: 18000})],
    },
    {
        "title": "Digitaler Zwilling der Innenstadt",
        "description": (
            "Ein 3D-Stadtmodell als Grundlage für Planungsbeteiligung, Verschattungs- und "
            "Starkregenanalysen. Idee aus dem Stadtentwicklungsausschuss; Zuständigkeit "
            "noch offen."
        ),
        "department": "FB 5",
        "owner": None,
        "category": "smart_city",
        "kind": "project",
        "status": "draft",
        "start": None,
        "end": None,
        "submitted": None,
        "goals": ["S-1"],
    },
    {
        "title": "Fortschreibung des Medienentwicklungsplans",
        "description": (
            "Der Medienentwicklungsplan der Schulen wird mit den Schulleitungen für die "
            "Jahre 2028 bis 2032 fortgeschrieben."
        ),
        "department": "FB 4",
        "owner": "fb4",
        "category": "school",
        "kind": "action",
        "status": "draft",
        "start": D("2027-09-01"),
        "end": D("2028-03-31"),
        "submitted": None,
        "goals": ["SCH-2", "SCH-3"],
        "costs": [cost("sd_projekte", {2027: 9000})],
    },
    # ------------------------------------------------------------------ deferred
    {
        "title": "Füllstandsensoren für Abfallbehälter",
        "description": (
            "Sensoren in öffentlichen Papierkörben und Glascontainern melden den "
            "Füllstand; der Bauhof plant seine Touren danach."
        ),
        "department": "FB 6",
        "owner": "fb6",
        "category": "smart_city",
        "kind": "project",
        "status": "deferred",
        "start": D("2027-06-01"),
        "end": D("2028-05-31"),
        "submitted": D("2026-05-11"),
        "goals": ["S-1"],
        "costs": [cost("sc_sensorik", {2027: 38000}, SMART_CITIES)],
        "decision": (
            "Zurückgestellt, bis die Erfahrungen aus der Parkraumsensorik vorliegen und das "
            "Funknetz die ganze Stadt abdeckt."
        ),
    },
    {
        "title": "Selbstbedienungsterminal im Bürgerbüro",
        "description": (
            "Ein Terminal im Wartebereich erlaubt das Abholen von Ausweisen und das "
            "Bezahlen von Gebühren ohne Wartemarke."
        ),
        "department": "FB 3",
        "owner": "fb3",
        "category": "digital_administration",
        "kind": "action",
        "status": "deferred",
        "start": D("2027-01-01"),
        "end": D("2027-06-30"),
        "submitted": D("2026-06-22"),
        "goals": ["B-2"],
        "costs": [cost("bs_app", {2027: 28000})],
        "decision": (
            "Im Finanzhaushalt 2027 ist kein Raum; erneute Prüfung mit der Haushaltsplanung 2028."
        ),
    },
    # ------------------------------------------------------------------ rejected
    {
        "title": "Eigene Kita-App",
        "description": (
            "Eine eigene App für Eltern mit Nachrichten der Kita, Krankmeldungen und "
            "Essensbestellung."
        ),
        "department": "FB 4",
        "owner": "fb4",
        "category": "digital_administration",
        "kind": "project",
        "status": "rejected",
        "start": D("2027-01-01"),
        "end": D("2027-12-31"),
        "submitted": D("2026-07-06"),
        "goals": ["B-2"],
        "costs": [cost("kita_software", {2027: 45000})],
        "decision": (
            "Abgelehnt: Die Funktionen überschneiden sich mit der Online-Kita-Anmeldung und "
            "der Rathaus-App; eine weitere App wollen wir nicht betreiben."
        ),
    },
    {
        "title": "Drohnenbefliegung des Stadtgebiets",
        "description": (
            "Jährliche Befliegung mit einer eigenen Drohne für aktuelle Luftbilder der Baugebiete."
        ),
        "department": "FB 5",
        "owner": "fb5",
        "category": "smart_city",
        "kind": "action",
        "status": "rejected",
        "start": D("2026-09-01"),
        "end": D("2026-12-31"),
        "submitted": D("2026-05-18"),
        "goals": ["S-1"],
        "costs": [cost("sd_experiment", {2026: 14000})],
        "decision": (
            "Abgelehnt: Aktuelle Luftbilder stellt die Landesvermessung bereit; der Nutzen "
            "rechtfertigt Anschaffung und Schulung nicht."
        ),
    },
    # ------------------------------------------------------------------ cancelled
    {
        "title": "Dokumentenmanagement für die Bauaufsicht",
        "description": ("Ein eigenes Dokumentenmanagementsystem für die Bauakten der Bauaufsicht."),
        "department": "FB 5",
        "owner": "fb5",
        "category": "digital_administration",
        "kind": "project",
        "status": "cancelled",
        "cancel_from": "approved",
        "start": D("2026-01-01"),
        "end": D("2026-12-31"),
        "submitted": D("2025-06-30"),
        "goals": ["V-3"],
        "costs": [cost("bau_software", {2026: 25000})],
        "decision": "Abgebrochen: Die Bauakten werden in der stadtweiten E-Akte geführt.",
    },
    {
        "title": "Erneuerung des Faxservers",
        "description": "Austausch des veralteten Faxservers im Rechenzentrum.",
        "department": "FB 1",
        "owner": "fb1",
        "category": "infrastructure",
        "kind": "action",
        "status": "cancelled",
        "cancel_from": "draft",
        "start": D("2026-03-01"),
        "end": D("2026-04-30"),
        "submitted": None,
        "created": D("2026-01-12"),
        "goals": ["V-4"],
        "decision": (
            "Verworfen: Der Faxdienst wird eingestellt; Schriftverkehr läuft über E-Mail "
            "und das Bürgerpostfach."
        ),
    },
]

#: Scores of the coordinating office (0-5) in the order of the weighted default criteria:
#: strategic contribution, benefit for citizens, benefit for the administration,
#: economic efficiency, risk / feasibility (5 = low risk), urgency.
SCORES: dict[str, str] = {
    "Digitaler Bauantrag": "554335",
    "Online-Kita-Anmeldung mit zentraler Platzvergabe": "553334",
    "E-Akte in der Kernverwaltung (Stufe 1)": "525324",
    "Online-Terminvergabe im Bürgerbüro": "454443",
    "Tablets für die Grundschulen": "441343",
    "WLAN in allen Schulgebäuden": "441334",
    "Parkraumsensorik in der Innenstadt": "342232",
    "Pegelmessung an Lindenbach und Mühlgraben": "343335",
    "Notebooks statt Desktop-PCs für mobiles Arbeiten": "415343",
    "Digitaler Führerschein für alle Beschäftigten": "414452",
    "Netzwerk Digitale Scouts": "413552",
    "Rathaus-App „Lindenfeld mobil“": "452232",
    "Videoberatung im Bürgerservice und Sozialamt": "343442",
    "Luftqualitätsmessnetz an Hauptverkehrsstraßen": "222231",
    "E-Rechnung und digitaler Rechnungsworkflow": "425435",
    "Schulserver und gemeinsame Lernplattform": "432323",
    "Befragung zur Zufriedenheit mit den Online-Diensten": "332451",
    "Fernsteuerbare LED-Straßenbeleuchtung": "231331",
    "Gewerbeanmeldung online": "443444",
    "Glasfaseranbindung der Schulstandorte": "431223",
    "Digitale Personalakte": "314332",
}

#: Dependencies between measures: title -> titles it depends on.
DEPENDENCIES: dict[str, list[str]] = {
    "Rathaus-App „Lindenfeld mobil“": [
        "Online-Terminvergabe im Bürgerbüro",
        "Parkraumsensorik in der Innenstadt",
    ],
    "Videoberatung im Bürgerservice und Sozialamt": ["Online-Terminvergabe im Bürgerbüro"],
    "Schulserver und gemeinsame Lernplattform": ["WLAN in allen Schulgebäuden"],
    "Digitale Personalakte": ["E-Akte in der Kernverwaltung (Stufe 1)"],
    "Open-Data-Portal": ["Luftqualitätsmessnetz an Hauptverkehrsstraßen"],
}

#: Manual ranks set by the coordinating office: title -> (rank, reason).
RANK_OVERRIDES: dict[str, tuple[int, str]] = {
    "Pegelmessung an Lindenbach und Mühlgraben": (
        1,
        "Hochwasserschutz hat Vorrang; so hat es die Verwaltungsleitung nach dem "
        "Frühjahrshochwasser festgelegt.",
    ),
}


#: Deckungsringe the council declared with the budget (budget year 2026): the IT operating
#: lines of the central IT, the finance software and the citizen services may cover each
#: other (Ergebnishaushalt only).
COVERAGE_RINGS: list[dict[str, Any]] = [
    {
        "name": "IT-Betrieb und Fachverfahren",
        "year": 2026,
        "kind": "consumptive",
        "lines": ["it_lizenzen", "fin_software", "bs_online"],
        "note": "Gegenseitig deckungsfähig gemäß Haushaltsvermerk Nr. 4 zum Haushaltsplan 2026.",
    },
]


#: Measures the coordinating office published on the transparency page: title ->
#: (public short description, owner's name may be shown). The public texts are written for
#: citizens and share no sentence with the internal descriptions. "Dokumentenmanagement für
#: die Bauaufsicht" was published before it was cancelled: its flag stays, the page hides it.
PUBLISHED: dict[str, tuple[str, bool]] = {
    "Digitaler Bauantrag": (
        "Bauanträge und Bauvoranfragen lassen sich online stellen, Unterlagen online nachreichen. "
        "Die Stadt übernimmt dafür eine Lösung, die andere Kommunen schon nutzen.",
        False,
    ),
    "Online-Kita-Anmeldung mit zentraler Platzvergabe": (
        "Eltern melden den Betreuungsbedarf für ihr Kind über ein gemeinsames Portal aller "
        "Kitas an. Die Plätze werden zentral nach veröffentlichten Kriterien vergeben.",
        False,
    ),
    "Online-Terminvergabe im Bürgerbüro": (
        "Termine im Bürgerbüro, etwa für Personalausweis, Reisepass oder eine Ummeldung, lassen "
        "sich online buchen. Wer ohne Termin kommt, wird weiterhin bedient.",
        False,
    ),
    "Tablets für die Grundschulen": (
        "Die Grundschulen der Stadt erhalten Tablets für den Unterricht, dazu Lademöglichkeiten "
        "und eine zentrale Verwaltung der Geräte.",
        False,
    ),
    "WLAN in allen Schulgebäuden": (
        "Alle Unterrichtsräume der städtischen Schulen erhalten ein leistungsfähiges WLAN.",
        False,
    ),
    "Pegelmessung an Lindenbach und Mühlgraben": (
        "Messstellen an Lindenbach und Mühlgraben melden die Wasserstände laufend, damit die "
        "Stadt bei steigenden Pegeln früher warnen kann.",
        False,
    ),
    "Digitaler Führerschein für alle Beschäftigten": (
        "Alle Beschäftigten der Stadtverwaltung können eine Schulung zu digitalen "
        "Grundkenntnissen besuchen und mit einem Zertifikat abschließen.",
        True,
    ),
    "Rathaus-App „Lindenfeld mobil“": (
        "Eine App bündelt Termine, Meldungen und Nachrichten der Stadt auf dem Smartphone.",
        False,
    ),
    "Luftqualitätsmessnetz an Hauptverkehrsstraßen": ("", False),
    "Wohnsitzanmeldung online": (
        "Wer nach Lindenfeld zieht, kann den neuen Wohnsitz online anmelden.",
        False,
    ),
    "Dokumentenmanagement für die Bauaufsicht": (
        "Digitale Akten für die Bauaufsicht.",
        False,
    ),
}
