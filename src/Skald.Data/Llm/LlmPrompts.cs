namespace Skald.Data.Llm;

/// <summary>
/// The instructions sent with each chunk, written for Bokmål, Nynorsk, Danish and Swedish so the model answers in the
/// passage's language: N questions a user could ask that the passage answers, one per line, numbered, nothing else.
/// A chunk's title (<c>Chunk.Title</c>: its section heading, and the caption of a table whose rows it starts with), when it
/// has one, comes before the passage as context (the index searches title and text together), with a line asking for questions that make sense on their own; without one the prompt is as it was
/// before headings were sent.
/// </summary>
public static class LlmPrompts
{
    /// <summary>The languages with a prompt.</summary>
    public static readonly IReadOnlyList<string> Languages = ["nb", "nn", "da", "sv"];

    /// <summary>
    /// (system, user) messages asking for <paramref name="n"/> questions about <paramref name="passage"/>, which stands
    /// under <paramref name="heading"/> (the chunk's title; "" when none).
    /// </summary>
    public static (string System, string User) For(string language, string heading, string passage, int n) => language switch
    {
        "nn" => ("Du lagar gode søkjespørsmål på nynorsk.",
            $"Les teksten under. Skriv {n} ulike spørsmål som ein brukar kunne søkt etter, og som teksten svarar på. " +
            $"Spørsmåla skal vere på nynorsk, kvart på si eiga linje, nummererte 1., 2. og så vidare. Skriv berre spørsmåla." +
            Context(heading, " Overskrifta seier kva teksten handlar om: bruk ho slik at kvart spørsmål gjev meining åleine.", "Overskrift") +
            $"\n\nTekst:\n{passage}"),
        "da" => ("Du skriver gode søgespørgsmål på dansk.",
            $"Læs teksten nedenfor. Skriv {n} forskellige spørgsmål, som en bruger kunne søge efter, og som teksten besvarer. " +
            $"Spørgsmålene skal være på dansk, hvert på sin egen linje, nummereret 1., 2. og så videre. Skriv kun spørgsmålene." +
            Context(heading, " Overskriften fortæller, hvad teksten handler om: brug den, så hvert spørgsmål giver mening for sig selv.", "Overskrift") +
            $"\n\nTekst:\n{passage}"),
        "sv" => ("Du skriver bra sökfrågor på svenska.",
            $"Läs texten nedan. Skriv {n} olika frågor som en användare skulle kunna söka efter och som texten besvarar. " +
            $"Frågorna ska vara på svenska, var och en på en egen rad, numrerade 1., 2. och så vidare. Skriv bara frågorna." +
            Context(heading, " Rubriken säger vad texten handlar om: använd den så att varje fråga går att förstå på egen hand.", "Rubrik") +
            $"\n\nText:\n{passage}"),
        _ => ("Du lager gode søkespørsmål på norsk bokmål.",
            $"Les teksten nedenfor. Skriv {n} ulike spørsmål som en bruker kunne søkt etter, og som teksten svarer på. " +
            $"Spørsmålene skal være på bokmål, hvert på sin egen linje, nummerert 1., 2. og så videre. Skriv bare spørsmålene." +
            Context(heading, " Overskriften sier hva teksten handler om: bruk den slik at hvert spørsmål gir mening på egen hånd.", "Overskrift") +
            $"\n\nTekst:\n{passage}"),
    };

    /// <summary>The instruction about the heading and the heading's own line, or "" without a heading.</summary>
    private static string Context(string heading, string instruction, string label) =>
        heading.Length == 0 ? "" : $"{instruction}\n\n{label}: {heading}";
}
