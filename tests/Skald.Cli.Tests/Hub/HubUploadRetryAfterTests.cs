using System.Diagnostics;
using Skald.Hub;

namespace Skald.Cli.Tests.Hub;

/// <summary>
/// An upload's stall timer against the retry pipeline's wait: a storage PUT answered 429 with a Retry-After longer than
/// the hub timeout (the pipeline waits up to five minutes; the stall limit is 30 s by default) is waited for and sent
/// again, not cut as a stall. Before, the timer ran through the wait: the pipeline's delay was cancelled at the stall
/// limit and the PUT sent again at once, against what the storage asked (or, out of retries, "stalled (nothing moved ...)").
/// </summary>
public sealed class HubUploadRetryAfterTests
{
    [Fact]
    public void ARateLimitedStoragePutWaitsWhatRetryAfterAsksThoughItIsLongerThanTheStallLimit()
    {
        using var hub = new MockHub { StorageTooMany = 1, RetryAfterSeconds = 3 };
        string folder = Path.Combine(TestPaths.NewTempDir(), "model");
        byte[] weights = HubUploadTests.RandomBytes(3000, 14);
        HubUploadTests.Write(folder, "model.safetensors", weights);
        using var uploader = new HubUploader(HubUploadTests.Settings(hub, Path.Combine(folder, "..", "hf"), timeoutSeconds: 1.5, retries: 1));
        var done = uploader.Upload(new HubUploadRequest { Repo = "org/limited", Source = folder });
        Assert.Equal((1, 1), (done.FilesCommitted, done.LargeFilesSent));
        Assert.Equal(weights, hub.FilesOf("org/limited")["model.safetensors"]);
        // the two PUTs of the object: the second one after the 3 s the storage asked, not at the 1.5 s stall limit
        var puts = hub.Requests.Zip(hub.Arrivals).Where(r => r.First.StartsWith("PUT /storage/", StringComparison.Ordinal)).Select(r => r.Second).ToArray();
        Assert.Equal(2, puts.Length);
        var waited = Stopwatch.GetElapsedTime(puts[0], puts[1]);
        Assert.True(waited >= TimeSpan.FromSeconds(2.9), $"sent again after {waited.TotalSeconds:F2} s");
    }
}
