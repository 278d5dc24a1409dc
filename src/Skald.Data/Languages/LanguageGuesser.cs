namespace Skald.Data.Languages;

/// <summary>
/// A rough guess of a text's Scandinavian language — Bokmål (nb), Nynorsk (nn), Danish (da), Swedish (sv) or English
/// (en) — from frequent function words that tell them apart and the letters æ/ø versus ä/ö. Good enough for a data
/// report or for choosing a prompt; "und" when nothing points anywhere.
/// </summary>
public static class LanguageGuesser
{
    private static readonly (string Language, HashSet<string> Words)[] Markers =
    [
        ("nb", Set("ikke hva noen mye nå etter blir av jeg hvordan hvor fra være skal også hun mange bare gjøre dette deg meg seg hvis ble veldig ingen hvem noe mer mellom " +
            "igjen opp ut inn tilbake gjerne kanskje alltid aldri litt")),
        ("nn", Set("ikkje eg kva korleis ein eit dei vere berre mykje nokon frå òg kven kvar fleire ho meir noko vore vart desse heilt sjølv")),
        ("da", Set("ikke hvad nogen meget nu efter bliver af jeg hvordan hvor fra være skal også hun mange bare gøre dette dig mig sig hvis blev ingen nogle sådan mere hvem " +
            "hvornår noget igen op ud ind tilbage mellem gerne måske altid aldrig lidt")),
        ("sv", Set("inte vad någon mycket nu efter blir av jag hur var från vara ska också hon många bara göra detta dig mig sig blev ingen och är att för till")),
        // not "for", "to", "have" or "be": Bokmål and Danish words too (a Norwegian question with "for" was English)
        ("en", Set("the and is are of in that what how which with not this from was you it on can does where when who why there they")),
    ];

    private static HashSet<string> Set(string words) => new(words.Split(' '), StringComparer.Ordinal);

    /// <summary>The language code (nb, nn, da, sv, en) or "und".</summary>
    public static string Guess(string text)
    {
        var score = new double[Markers.Length];
        foreach (var raw in text.Split([' ', '\n', '\t', ',', '.', '?', '!', ':', ';', '"', '(', ')'], StringSplitOptions.RemoveEmptyEntries))
        {
            string w = raw.ToLowerInvariant();
            for (int i = 0; i < Markers.Length; i++)
                if (Markers[i].Words.Contains(w)) score[i] += 1;
        }
        foreach (char c in text)
        {
            if (c is 'æ' or 'ø' or 'Æ' or 'Ø') { score[0] += 0.5; score[1] += 0.5; score[2] += 0.5; }
            else if (c is 'ä' or 'ö' or 'Ä' or 'Ö') score[3] += 0.5;
        }
        int best = 0;
        for (int i = 1; i < score.Length; i++)
            if (score[i] > score[best]) best = i;
        return score[best] > 0 ? Markers[best].Language : "und";
    }
}
