"""The statements of the Potenzialcheck, by topic field (in our own words).

The first two fields follow the published self-check "Führung und Strategie" and
"Steuerung und Struktur"; the others cover what comparable public models ask about.
Each statement: (code, text, why it matters, first steps).
"""

from __future__ import annotations

CATALOGUE: list[tuple[str, str, str, list[tuple[str, str, str, list[str]]]]] = [
    (
        "FS",
        "Führung und Strategie",
        "Digitale Veränderung gelingt nur, wenn die Verwaltungsspitze sie will, trägt und "
        "einfordert – und wenn ein gemeinsamer Fahrplan für alle Bereiche besteht, "
        "die Smart City eingeschlossen.",
        [
            (
                "FS-1",
                "Die Verwaltungsspitze sieht Digitalisierung als strategisches Werkzeug, treibt "
                "sie sichtbar voran und lässt sich regelmäßig über den Stand berichten.",
                "Ohne Rückendeckung von oben fehlen Zeit, Geld und Verbindlichkeit. Wer den "
                "Stand der Vorhaben einfordert, macht deutlich, dass sie zählen.",
                [
                    "Digitalisierung als festen Punkt in die Runde der Verwaltungsleitung aufnehmen",
                    "Regelmäßigen Sachstandsbericht an die Verwaltungsleitung vereinbaren",
                    "Beispiele gelungener Digitalisierung aus anderen Kommunen vorstellen",
                ],
            ),
            (
                "FS-2",
                "Es gibt eine Digitale Agenda für alle Bereiche der Kommune; sie wird in "
                "festen Abständen überprüft und fortgeschrieben.",
                "Die Agenda legt fest, wohin die Verwaltung will und in welcher Reihenfolge. "
                "Fortgeschrieben bleibt sie aktuell und dient als Grundlage für den Haushalt.",
                [
                    "Digitale Agenda mit Handlungsfeldern und Zielen erarbeiten",
                    "Zuständigkeit und Rhythmus für die Fortschreibung der Agenda festlegen",
                ],
            ),
            (
                "FS-3",
                "Führungskräfte nutzen digitale Werkzeuge selbst, ermutigen ihre Teams zum "
                "Ausprobieren und begleiten die Veränderung.",
                "Führungskräfte wirken als Vorbild und Multiplikatoren. Sie entscheiden, ob "
                "Mitarbeitende Raum für Neues bekommen.",
                [
                    "Haltung der Führungskräfte zur Digitalisierung in einer Umfrage erfassen",
                    "Führungskräfte früh in Vorhaben einbinden",
                    "Führungskräfte für die Begleitung von Veränderung qualifizieren",
                ],
            ),
        ],
    ),
    (
        "SS",
        "Steuerung und Struktur",
        "Alle Vorhaben – Verwaltung wie Smart City – sollten an einer Stelle zusammenlaufen, "
        "dort priorisiert und mit Kennzahlen gesteuert werden; der Haushalt muss sie tragen.",
        [
            (
                "SS-1",
                "Eine benannte Person oder Stelle koordiniert alle Digitalisierungsvorhaben; "
                "eine passende Projektorganisation ist eingerichtet.",
                "Viele Vorhaben laufen parallel in verschiedenen Fachbereichen. Ohne zentrale "
                "Koordination werden Mittel doppelt oder gar nicht eingesetzt.",
                [
                    "Koordinationsstelle für Digitalisierung benennen",
                    "Alle laufenden Vorhaben im zentralen Register erfassen",
                    "Das ganze Haus über Ansprechpersonen und Abläufe informieren",
                ],
            ),
            (
                "SS-2",
                "Verwaltungsabläufe werden mit Kennzahlen gesteuert; stetige Verbesserung ist "
                "als Ziel verankert.",
                "Kennzahlen machen Engpässe sichtbar und geben Gesprächen über Verbesserungen "
                "eine sachliche Grundlage.",
                [
                    "Verantwortliche für das Prozessmanagement festlegen",
                    "Fallzahlen der wichtigsten Verwaltungsleistungen auswerten",
                    "Verbesserungsvorschläge systematisch sammeln",
                ],
            ),
            (
                "SS-3",
                "Der Haushalt plant neben dem Betrieb der vorhandenen Systeme feste Mittel für "
                "Projekte und ein Experimentierbudget ein.",
                "Veränderung kostet Geld. Wer nur den Betrieb finanziert, kann nichts Neues "
                "anstoßen.",
                [
                    "Digitalisierungsvorhaben in die mittelfristige Finanzplanung aufnehmen",
                    "Förderprogramme und Kooperationen mit Nachbarkommunen prüfen",
                    "Nutzen der Digitalisierung neben den Kosten sichtbar machen",
                ],
            ),
        ],
    ),
    (
        "PR",
        "Prozesse",
        "Wer Abläufe digitalisiert, ohne sie zu kennen und zu vereinfachen, digitalisiert auch "
        "ihre Umwege.",
        [
            (
                "PR-1",
                "Die wichtigsten Verwaltungsabläufe sind beschrieben; ihre Fallzahlen sind bekannt.",
                "Nur wer Abläufe und Mengen kennt, kann entscheiden, wo sich Digitalisierung "
                "zuerst lohnt.",
                ["Prozesslandkarte der Verwaltung erstellen", "Fallzahlen je Leistung erheben"],
            ),
            (
                "PR-2",
                "Vorgänge werden durchgängig digital bearbeitet, ohne Ausdruck und erneute Erfassung.",
                "Medienbrüche kosten Zeit und erzeugen Fehler; erst die durchgängige Bearbeitung "
                "bringt den Nutzen.",
                ["E-Akte in einem Pilotbereich einführen", "Medienbrüche in einem Ablauf erfassen"],
            ),
            (
                "PR-3",
                "Bevor ein Ablauf digitalisiert wird, wird er überprüft und vereinfacht.",
                "Ein schlechter Ablauf wird durch Software nicht besser.",
                ["Prüfschritt „Ablauf vereinfachen“ in jedes Digitalisierungsvorhaben aufnehmen"],
            ),
        ],
    ),
    (
        "PK",
        "Personal und Kompetenzen",
        "Die Mitarbeitenden tragen die Veränderung. Sie brauchen Wissen, Ansprechpersonen und "
        "die Möglichkeit mitzugestalten.",
        [
            (
                "PK-1",
                "Alle Mitarbeitenden haben Zugang zu Qualifizierung in digitalen Themen.",
                "Digitale Werkzeuge helfen nur, wenn man sie sicher beherrscht.",
                [
                    "Digitalen Führerschein für alle Beschäftigten anbieten",
                    "Fortbildungsbedarf zu digitalen Themen erheben",
                ],
            ),
            (
                "PK-2",
                "In jedem Fachbereich gibt es benannte Ansprechpersonen für Digitalisierung.",
                "Digitale Scouts oder Lotsen tragen Wissen in die Teams und Fragen zurück.",
                [
                    "Digitale Scouts in allen Fachbereichen benennen",
                    "Austauschtreffen der Scouts einrichten",
                ],
            ),
            (
                "PK-3",
                "Mitarbeitende werden früh in Vorhaben einbezogen; ihre Ideen werden gesammelt "
                "und beantwortet.",
                "Wer mitgestaltet, trägt die Veränderung mit.",
                [
                    "Ideenmanagement für Digitalisierung einführen",
                    "Newsletter zur Digitalisierung starten",
                ],
            ),
        ],
    ),
    (
        "IT",
        "IT-Infrastruktur",
        "Zeitgemäße, sichere Technik ist die Voraussetzung für alles andere.",
        [
            (
                "IT-1",
                "Arbeitsplätze sind zeitgemäß ausgestattet; mobiles Arbeiten ist möglich.",
                "Veraltete Geräte bremsen und verhindern neue Arbeitsweisen.",
                ["Ausstattung der Arbeitsplätze erheben", "Konzept für mobiles Arbeiten erstellen"],
            ),
            (
                "IT-2",
                "Informationssicherheit und Datenschutz sind organisiert: Zuständige, Konzept "
                "und Notfallplanung liegen vor.",
                "Digitale Dienste brauchen Vertrauen; ein Ausfall trifft die ganze Verwaltung.",
                [
                    "Informationssicherheitsbeauftragte Person benennen",
                    "Notfallplan für den IT-Ausfall erstellen und üben",
                ],
            ),
            (
                "IT-3",
                "Digitale Mindeststandards (Schnittstellen, Formate, Barrierefreiheit) sind "
                "festgelegt und werden bei Beschaffungen beachtet.",
                "Einheitliche Standards verhindern Insellösungen und Abhängigkeiten.",
                [
                    "Digitale Mindeststandards beschließen",
                    "Standards in Vergabeunterlagen aufnehmen",
                ],
            ),
        ],
    ),
    (
        "BS",
        "Bürgerservice",
        "Digitale Angebote sollen Bürgerinnen, Bürgern und Unternehmen nützen – ohne jemanden "
        "zurückzulassen.",
        [
            (
                "BS-1",
                "Die meistgenutzten Verwaltungsleistungen nach OZG sind online beantragbar.",
                "Das Onlinezugangsgesetz verpflichtet dazu; der Nutzen ist bei häufigen "
                "Leistungen am größten.",
                [
                    "OZG-Leistungen nach Fallzahl priorisieren",
                    "Nachnutzung vorhandener Lösungen (EfA) prüfen",
                ],
            ),
            (
                "BS-2",
                "Angebote werden aus Sicht der Nutzenden entwickelt; ihre Zufriedenheit wird "
                "regelmäßig gemessen.",
                "Nur genutzte Angebote entlasten die Verwaltung.",
                ["Kurze Zufriedenheitsbefragung nach Online-Anträgen einführen"],
            ),
            (
                "BS-3",
                "Es gibt mehrere Kontaktwege: Online-Termine, Videoberatung, App oder Chat.",
                "Verschiedene Menschen erreichen die Verwaltung auf verschiedenen Wegen.",
                ["Online-Terminvergabe einführen", "Videoberatung in einem Fachbereich erproben"],
            ),
        ],
    ),
    (
        "SC",
        "Smart City und Smart Region",
        "Smart-City-Vorhaben gehören in dieselbe Steuerung wie die Verwaltungsdigitalisierung.",
        [
            (
                "SC-1",
                "Smart-City-Vorhaben laufen im selben Register und Priorisierungsverfahren wie "
                "die übrigen Digitalisierungsvorhaben.",
                "Getrennte Steuerung führt zu doppelten Plattformen und Konkurrenz um Mittel.",
                ["Smart-City-Vorhaben im zentralen Register erfassen"],
            ),
            (
                "SC-2",
                "Städtische Daten werden, wo zulässig, als offene Daten bereitgestellt.",
                "Offene Daten schaffen Transparenz und ermöglichen Anwendungen Dritter.",
                ["Offene-Daten-Portal oder Beteiligung an einem regionalen Portal prüfen"],
            ),
            (
                "SC-3",
                "Sensordaten und eine Datenplattform werden für Stadtentwicklung und "
                "Daseinsvorsorge genutzt.",
                "Messwerte zu Verkehr, Umwelt und Wasserständen verbessern Entscheidungen.",
                ["Pilot mit Umweltsensoren und offener Datenplattform starten"],
            ),
        ],
    ),
]
