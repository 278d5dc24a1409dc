using Skald.Training.Config;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Config;

/// <summary>
/// LLM2Vec's unsupervised steps as upstream runs them (experiments/run_mntp.py at 267299de, run_simcse.py at 8ff00424 in
/// McGill-NLP/llm2vec): neither takes an instruction — run_mntp.py masks plain text, run_simcse.py's collator tokenizes
/// each sentence alone — so <c>data.instruction</c> under loss.type mntp or simcse is one line naming the key (it was
/// accepted, and a SimCSE run saved it as the model's query instruction); and MNTP masks one text column, so a pairs
/// file gets a note naming the columns not read (it trained on the anchors without a word).
/// </summary>
public sealed class Llm2VecUnsupervisedDataTests
{
    // MinimalConfig with data.instruction on line 5 and a loss section to end it.
    private static readonly string Yaml = MinimalConfig.Yaml.Replace("train: d.jsonl", "train: d.jsonl\n  instruction: Gitt et spørsmål, finn svaret", StringComparison.Ordinal)
        + "\nloss:";

    [Theory]
    [InlineData("mntp", "run_mntp.py masks plain text")]
    [InlineData("simcse", "run_simcse.py embeds each sentence alone")]
    public void AnInstructionForAnUnsupervisedStepIsRefusedNamingTheKey(string loss, string upstream)
    {
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(Yaml + "\n  type: " + loss + "\n", "c.yaml"));
        Assert.Equal($"c.yaml:5: data.instruction is the query instruction of LLM2Vec's supervised step (loss.type mnrl); loss.type {loss} trains " +
            $"without one, as LLM2Vec's {upstream}, and the model would save it as its query instruction", e.Message);
    }

    [Fact]
    public void TheSupervisedStepTakesIt() =>
        Assert.Equal("Gitt et spørsmål, finn svaret", ConfigLoader.Parse(Yaml + "\n  type: mnrl\n", "c.yaml").Data.Instruction);

    /// <summary>
    /// A one-step MNTP run over a file of 8 rows written as <paramref name="row"/> gives them (saved to a new folder),
    /// its reading notes added to <paramref name="lines"/>; the file's path in <paramref name="file"/>.
    /// </summary>
    private static TrainerSetup Mntp(Func<int, string> row, List<string> lines, out string file)
    {
        string dir = InfraPaths.NewTempDir();
        file = InfraPaths.WriteFile(dir, "train.jsonl", string.Concat(Enumerable.Range(0, 8).Select(i => row(i) + "\n")));
        return TrainingRun.Build(ConfigLoader.Parse($$"""
            model: {path: {{InfraPaths.FixtureModel("decoder-qwen3")}}, attention: bidirectional}
            data: {train: {{file}}}
            training: {batch_size: 4, max_steps: 1}
            loss: {type: mntp}
            lora: {r: 2, alpha: 4}
            output: {dir: {{Path.Combine(dir, "out")}}}
            """, "c.yaml"), log: lines.Add);
    }

    [Fact]
    public void MntpOnAPairsFileNotesTheColumnItDoesNotRead()
    {
        var lines = new List<string>();
        using (Mntp(i => $"{{\"anchor\": \"Når går ferja {i}?\", \"positive\": \"Ferja går klokka {i}.\"}}", lines, out string pairs))
        {
            Assert.Contains($"note: {pairs}: loss.type mntp masks one text column, the first ('anchor'), and reads no other ('positive'), " +
                "as LLM2Vec's run_mntp.py reads one (set data.columns to pick it)", lines);
        }
    }

    [Fact]
    public void MntpReadsTheTextColumnWhenTheFileHasOneAsRunMntpDoes()
    {
        // run_mntp.py: text_column_name = "text" if "text" in column_names else column_names[0] (it masked the titles)
        var lines = new List<string>();
        using var setup = Mntp(i => $"{{\"title\": \"Ferje {i}\", \"text\": \"Ferja går klokka {i} frå kaia.\"}}", lines, out string file);
        var train = Assert.Single(setup.Train);
        Assert.Equal(["text"], train.Columns);
        Assert.Equal("Ferja går klokka 3 frå kaia.", train.Rows[3][0]);
        Assert.Contains($"note: {file}: loss.type mntp masks one text column, 'text', and reads no other ('title'), " +
            "as LLM2Vec's run_mntp.py reads the column so named (set data.columns to pick another)", lines);
    }

    [Fact]
    public void MntpOnAFileWithAListColumnNamesItAndSaysWhatItReads()
    {
        // (it said "'documents' holds lists of documents, which the listwise losses read", which MNTP is none of; and,
        // without a labels column, only that the list needs one)
        var lines = new List<string>();
        string file = "";
        var e = Assert.Throws<TrainingException>(() => Mntp(i => $"{{\"text\": \"Ferja går klokka {i}.\", \"documents\": [\"Kaia {i}\", \"Båten {i}\"], \"labels\": [1, 0]}}", lines, out file));
        Assert.Equal($"{file}: loss.type mntp masks one text column ('text' when the file has one, else the first) and reads no list of texts; " +
            "'documents' holds a list in each row: give one text a row (a 'text' column, or a .txt file of one text a line), or pick a text column with data.columns; " +
            "the file has 3 (text, documents[0], documents[1] + labels)", e.Message);
        e = Assert.Throws<TrainingException>(() => Mntp(i => $"{{\"text\": \"Ferja går klokka {i}.\", \"documents\": [\"Kaia {i}\", \"Båten {i}\"]}}", lines, out file));
        Assert.Equal($"{file}: column 'documents' holds lists of texts, which need a 'labels' column with one number per text (a listwise row: a query, " +
            "its documents, their labels); a loss that reads one text per column (mnrl, mntp, ...) reads no list: pick its text columns with data.columns", e.Message);
    }
}
