namespace Skald.Tests;

/// <summary>
/// A Markdown document whose section holds a table under a caption, long enough to run over several chunks of a
/// small budget: its later chunks start with rows whose caption an earlier chunk holds, so they carry a heading and a
/// caption (<c>Chunk.Context</c>) in their title; prose before and after gives inverse cloze sentences to take out.
/// </summary>
internal static class CaptionedTableDocument
{
    /// <summary>The table's caption (its lead-in).</summary>
    public const string Caption = "Satsene for 2025:";

    /// <summary>The section's heading.</summary>
    public const string Heading = "Reisesatser";

    /// <summary>Writes the document as <c>reise.md</c> in <paramref name="folder"/>.</summary>
    public static void Write(string folder) =>
        File.WriteAllText(Path.Combine(folder, "reise.md"), $"""
            # {Heading}

            Reiser i tjeneste dekkes etter statens satser, og reiseregningen leveres innen en måned etter at reisen er avsluttet.

            {Caption}

            | Post | Sats | Merknad |
            |---|---|---|
            | Kilometergodtgjørelse for egen bil | 3,50 kroner per kilometer | bare når tog eller buss ikke passer |
            | Passasjertillegg | 1 krone per kilometer | for hver kollega som sitter på |
            | Diett for reise over tolv timer | 600 kroner per døgn | trekkes for måltider som er betalt |
            | Diett for reise mellom seks og tolv timer | 350 kroner | trekkes for lunsj som er betalt |
            | Nattillegg uten regning | 450 kroner per natt | når du ordner overnatting selv |
            | Hotell | etter regning | innenfor avtalen med reisebyrået |
            | Parkering ved flyplassen | etter regning | inntil tre døgn |
            | Bompenger og ferge | etter regning | kvittering må legges ved |

            Spørsmål om satsene går til lønningskontoret. Kontoret svarer vanligvis innen to virkedager.
            Kvitteringer skannes og legges ved regningen. Originalene oppbevares i minst fem år.
            """);
}
