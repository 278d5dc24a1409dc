namespace Skald.Cli.Tests.Packaging;

/// <summary>
/// The README's "Library" examples compiled and run as a .NET user gets them: fresh console apps outside the repository
/// (warnings as errors) that reference one packed package each from the feed (as <see cref="LibraryPackageTests"/> sets
/// it up), each Program.cs a README snippet as written, the model folder taken from the command line. Encoding
/// references Skald.Models alone, the index example Skald.Retrieval alone; the ASP.NET Core example is a web app
/// referencing Skald.Models and Microsoft.Extensions.AI, started on 127.0.0.1 with both models registered, asked once
/// for an embedding and stopped (its container disposing what its factories loaded). About a minute and a half.
/// </summary>
[RunsLong(29)] // dotnet build of fresh projects
[Collection(PackageRun.Collection)]
[Trait("Category", "Packaging")]
public sealed class ReadmeLibraryExampleTests
{
    private const string ReadmeModel = "\"models/nb-sbert-base\"";

    /// <summary>The README's C# block that contains <paramref name="marker"/>.</summary>
    private static string ReadmeSnippet(string marker)
    {
        string readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md"));
        const string fence = "```csharp\n";
        for (int at = readme.IndexOf(fence, StringComparison.Ordinal); at >= 0; at = readme.IndexOf(fence, at + 1, StringComparison.Ordinal))
        {
            int start = at + fence.Length, end = readme.IndexOf("```", start, StringComparison.Ordinal);
            string code = readme[start..end];
            if (code.Contains(marker, StringComparison.Ordinal)) return code;
        }
        throw new InvalidOperationException($"README.md has no C# block with {marker}");
    }

    /// <summary>Writes an app referencing <paramref name="package"/> whose Program.cs is <paramref name="program"/>, and runs it on the fixture model.</summary>
    private static (int Code, string Output) Run(string dir, string feed, string name, string package, string program,
        string sdk = "Microsoft.NET.Sdk", string extraReference = "", params string[] models)
    {
        string app = Path.Combine(dir, name);
        Directory.CreateDirectory(app);
        File.WriteAllText(Path.Combine(app, "nuget.config"), PackageRun.NugetConfig(feed, PackageRun.MachinePackages()));
        File.WriteAllText(Path.Combine(app, "app.csproj"), $"""
            <Project Sdk="{sdk}">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="{package}" Version="0.1.0" />{extraReference}
              </ItemGroup>
            </Project>
            """);
        Assert.Contains(ReadmeModel, program);
        File.WriteAllText(Path.Combine(app, "Program.cs"), program.Replace(ReadmeModel, "args[0]", StringComparison.Ordinal));
        var env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(dir, "packages") };
        return PackageRun.Dotnet(app, env, ["run", "-c", "Release", "--", TestPaths.FixtureModel("bert-cased-mean"), .. models]);
    }

    [Fact]
    public void TheReadmesLibraryExamplesRunWithOnlyTheirPackageReferenced()
    {
        string dir = TestPaths.NewTempDir();
        var (feed, code, output) = PackageRun.SolutionFeed();
        Assert.True(code == 0, output);

        var encode = Run(dir, feed, "encode", "Skald.Models",
            ReadmeSnippet("float similarity = model.Similarity(") + "Console.WriteLine($\"{embeddings.Length} {similarity}\");\n");
        Assert.True(encode.Code == 0, encode.Output);
        var last = encode.Output.Trim().Split('\n')[^1].Split(' ');
        Assert.Equal("2", last[0]);
        Assert.InRange(float.Parse(last[1], System.Globalization.CultureInfo.InvariantCulture), -1f, 1f); // a cosine similarity

        // The embedding generator in a console app: two embeddings of the fixture's 32 values, named by its folder.
        var generator = Run(dir, feed, "generator", "Skald.Models", ReadmeSnippet("await generator.GenerateAsync(["));
        Assert.True(generator.Code == 0, generator.Output);
        Assert.Matches(@"^2 × 32, \d+ tokens, model bert-cased-mean$", generator.Output.Trim().Split('\n')[^1].TrimEnd('\r'));

        var search = Run(dir, feed, "search", "Skald.Retrieval", ReadmeSnippet("TextIndex.Build("));
        Assert.True(search.Code == 0, search.Output);
        // both rows found (hybrid search fuses every row dense search scores), each line "score id text"
        var ids = search.Output.Trim().Split('\n').Select(line => line.Split(' ')).Where(w => w.Length > 2).Select(w => w[1]).ToHashSet();
        Assert.Contains("ferie", ids);
        Assert.Contains("lonn", ids);
        Assert.True(File.Exists(Path.Combine(dir, "search", "idx", "index.json")), search.Output);

        // The ASP.NET Core snippet as written, then: listen on a free local port, POST /embed once, stop.
        const string decoder = "\"models/my-decoder\"";
        string web = ReadmeSnippet("builder.Services.AddEmbeddingGenerator(");
        Assert.Contains(decoder, web);
        web = web.Replace(decoder, "args[1]", StringComparison.Ordinal) + """
            app.Urls.Add("http://127.0.0.1:0");
            await app.StartAsync();
            using (var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) })
            {
                var answer = await http.PostAsync("/embed?text=" + Uri.EscapeDataString("Hvor mange feriedager har jeg?"), null);
                Console.WriteLine($"embed {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
            }
            _ = app.Services.GetRequiredService<IChatClient>(); // the chat client's factory runs too
            await app.StopAsync();
            await app.DisposeAsync();
            Console.WriteLine("stopped");
            """;
        var webRun = Run(dir, feed, "web", "Skald.Models", web, "Microsoft.NET.Sdk.Web",
            "\n    <PackageReference Include=\"Microsoft.Extensions.AI\" Version=\"10.11.0\" />", TestPaths.FixtureModel("decoder-llama3"));
        Assert.True(webRun.Code == 0, webRun.Output);
        var lines = webRun.Output.Split('\n').Select(line => line.Trim()).ToList(); // the app also logs (Kestrel's info lines)
        Assert.Contains("stopped", lines);
        var reply = lines.Single(line => line.StartsWith("embed ", StringComparison.Ordinal)).Split(' ', 3);
        Assert.True(reply[1] == "200", webRun.Output);
        var vector = System.Text.Json.JsonSerializer.Deserialize<float[]>(reply[2])!;
        using var encoder = Skald.Models.SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        var expected = encoder.Encode(["Hvor mange feriedager har jeg?"])[0];
        Assert.Equal(expected.Length, vector.Length);
        for (int i = 0; i < vector.Length; i++) Assert.Equal(expected[i], vector[i], 1e-5f); // the fixture model's own embedding
    }
}
