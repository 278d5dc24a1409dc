namespace Skald.Data.Languages;

/// <summary>
/// A rough guess of a text's Scandinavian language — Bokmål (nb), Nynorsk (nn), Danish (da), Swedish (sv) or English
/// (en) — from frequent function words (a word in several lists counts for each), spellings that tell Danish from
/// Norwegian (Danish j where Norwegian writes a diphthong, "-tion", "af-"; Norwegian kj/gj/sj onsets, ei/øy/au, a
/// doubled final consonant; Nynorsk -ar/-ane/-leg endings and -gjer/-kjer), Swedish spellings (ck, -arna/-erna/-orna,
/// -ade, -as) and the letters æ/ø versus ä/ö. Good enough for a data report, for choosing a prompt or a BM25 stemmer;
/// "und" when nothing points anywhere. Measured on labelled Scandinavian texts (docs/performance.md, 2026-12-07):
/// Danish and Nynorsk were mostly taken for Bokmål before, and short Swedish sentences for Norwegian.
/// </summary>
public static class LanguageGuesser
{
    private const int Nb = 0, Nn = 1, Da = 2, Sv = 3;

    private static readonly (string Language, HashSet<string> Words)[] Markers =
    [
        // "blir" and "ingen" are Norwegian (and "ingen" Danish) as well as Swedish: in the Swedish list alone they made a
        // Bokmål question with few other markers ("Når blir lønnen utbetalt?") Swedish
        ("nb", Set("hva noen mye ble blitt blir vært veldig noe mer gjøre fikk uten annen annet hennes jeg ikke ingen hvordan hvis hvem " +
            "være fra også hun bare hvor deg meg seg mellom opp ut inn tilbake gjerne kanskje litt etter hadde mot blant oss enn gjennom " +
            "nå av dem de et en ei")),
        ("nn", Set("ikkje eg kva korleis ein eit dei vere vore berre mykje nokon noko nokre frå òg kven kvar fleire ho meir vart vert vorte " +
            "desse sjølv hjå sidan medan difor saman eigen eigne heile gjere kjem kome fekk hennar deira dykk utan innan enno ikring mellom " +
            "opp ut inn etter mot gjennom meg deg seg nå av blir ingen")),
        ("da", Set("hvad nogen nogle noget meget bliver blev af efter mere hvornår op ud ind tilbage mellem gerne måske altid aldrig lidt " +
            "havde fik uden mod gennem blandt været blevet anden andet vores hendes os end nej jeg ikke hvordan hvis hvem være fra også hun " +
            "bare hvor dig mig sig nu de et en ingen")),
        // not "var" ("was" in all four: Norwegian and Danish sentences with it were Swedish); words only Swedish spells so
        ("sv", Set("inte vad någon något några mycket nu efter blir av jag hur från vara ska också hon många bara göra detta dig mig sig " +
            "blev ingen och är att för till när icke blivit varit finns alltså mellan varje vem vilken vilka vilket dessa kunna sedan hade " +
            "ju måste skall sina honom deras våra mina dina denna dessutom bland genom kanske redan sådana inget fick gick fanns upp inom " +
            "olika flera fler mera hela dock tillbaka tidigare senare alla andra nya stora gamla goda samma vid ifrån tio")),
        // not "for", "to", "have" or "be": Bokmål and Danish words too (a Norwegian question with "for" was English)
        ("en", Set("the and is are of in that what how which with not this from was you it on can does where when who why there they")),
    ];

    /// <summary>Whether <paramref name="c"/> ends a word: any white space (a CRLF line's \r as its \n, a tab, a no-break space) or the punctuation listed.</summary>
    private static bool IsSeparator(char c) => char.IsWhiteSpace(c) || c is ',' or '.' or '?' or '!' or ':' or ';' or '"' or '(' or ')';

    private static HashSet<string> Set(string words) => new(words.Split(' '), StringComparer.Ordinal);

    /// <summary>What <see cref="Guess"/> answers when nothing points anywhere: ISO 639's code for an undetermined language.</summary>
    public const string Undetermined = "und";

    /// <summary>The language code (nb, nn, da, sv, en) or <see cref="Undetermined"/>.</summary>
    public static string Guess(string text)
    {
        var score = Scores(text);
        int best = 0;
        for (int i = 1; i < score.Length; i++)
            if (score[i] > score[best]) best = i;
        return score[best] > 0 ? Markers[best].Language : Undetermined;
    }

    /// <summary>Each language's score, in the order nb, nn, da, sv, en: what <see cref="Guess"/> picks the largest of.</summary>
    internal static double[] Scores(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var score = new double[Markers.Length];
        foreach (var raw in Words(text))
        {
            string w = raw.ToLowerInvariant();
            for (int i = 0; i < Markers.Length; i++)
                if (Markers[i].Words.Contains(w)) score[i] += 1;
            // ä and ö, which Norwegian and Danish do not write: less in a capitalised word (a Swedish or German name)
            double umlaut = char.IsUpper(raw[0]) ? 0.5 : 1.5;
            foreach (char c in w)
                if (c is 'ä' or 'ö') score[Sv] += umlaut;
            if (w.Length >= 3 && w.All(char.IsLetter)) Spelling(w, score);
        }
        foreach (char c in text)
        {
            if (c is 'æ' or 'Æ') { score[Da] += 0.5; score[Nb] += 0.25; score[Nn] += 0.25; }
            else if (c is 'ø' or 'Ø') { score[Nb] += 0.5; score[Nn] += 0.5; score[Da] += 0.5; }
        }
        return score;
    }

    /// <summary>The words of <paramref name="text"/>: the runs of characters between separators (<see cref="IsSeparator"/>).</summary>
    private static IEnumerable<string> Words(string text)
    {
        for (int i = 0; i < text.Length;)
        {
            while (i < text.Length && IsSeparator(text[i])) i++;
            int start = i;
            while (i < text.Length && !IsSeparator(text[i])) i++;
            if (i > start) yield return text[start..i];
        }
    }

    /// <summary>The spelling cues of one lower-cased word of letters (three or more).</summary>
    private static void Spelling(string w, double[] score)
    {
        // Danish j after a vowel (rejse, høj, maj, vej) where Norwegian writes ei, øy, ai; Latin -tion (Norwegian -sjon); af- (Norwegian av-)
        bool danishJ = false;
        for (int i = 1; i < w.Length; i++)
            if (w[i] == 'j' && w[i - 1] is 'a' or 'e' or 'ø' or 'æ') { danishJ = true; break; }
        if (danishJ || EndsWithAny(w, "tion", "tionen", "tioner", "tionerne")) score[Da] += 0.5;
        if (w.Length > 4 && w.StartsWith("af", StringComparison.Ordinal)) score[Da] += 0.5;
        // Norwegian diphthongs and kj/gj/sj onsets; a doubled final consonant (Danish kontrol, Norwegian kontroll)
        if (w.Contains("øy", StringComparison.Ordinal) || w.Contains("ei", StringComparison.Ordinal) || w.Contains("au", StringComparison.Ordinal)
            || w.StartsWith("kj", StringComparison.Ordinal) || w.StartsWith("gj", StringComparison.Ordinal) || w.StartsWith("sj", StringComparison.Ordinal)
            || w.StartsWith("skj", StringComparison.Ordinal))
        {
            score[Nb] += 0.25;
            score[Nn] += 0.25;
        }
        if (EndsWithAny(w, "ll", "kk", "tt", "mm", "nn", "pp")) { score[Nb] += 0.25; score[Nn] += 0.25; }
        if (EndsWithAny(w, "ll", "tt", "mm", "nn", "pp")) score[Sv] += 0.25; // Swedish doubles them too, but writes ck for kk
        // Nynorsk -ar plurals and present tense, -ane, -leg; byggjer, søkjer (Bokmål bygger, søker)
        if (EndsWithAny(w, "gjer", "kjer") || (w.Length > 4 && EndsWithAny(w, "ar", "ane", "leg", "legt", "lege"))) score[Nn] += 0.5;
        // Swedish: -ar plurals and present tense as Nynorsk's, ck (Norwegian and Danish kk, k), the plurals' -arna, -erna,
        // -orna (Bokmål -ene, Danish -erne), past tense -ade(s) and the passive -as (Bokmål and Danish -et, -es)
        if (w.Length > 4 && w.EndsWith("ar", StringComparison.Ordinal)) score[Sv] += 0.5;
        if (w.Contains("ck", StringComparison.Ordinal)) score[Sv] += 0.5;
        if (w.Length > 5 && EndsWithAny(w, "arna", "erna", "orna", "ade", "ades", "as")) score[Sv] += 0.5;
    }

    private static bool EndsWithAny(string w, params ReadOnlySpan<string> endings)
    {
        foreach (string e in endings)
            if (w.EndsWith(e, StringComparison.Ordinal)) return true;
        return false;
    }
}
