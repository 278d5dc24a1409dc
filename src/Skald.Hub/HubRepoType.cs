namespace Skald.Hub;

/// <summary>The kind of a hub repository (huggingface_hub's repo_type), which picks its API route, URL prefix and cache folder.</summary>
public enum HubRepoType
{
    /// <summary>A model: <c>/api/models/…</c>, <c>/{repo}/resolve/…</c>, cache folder <c>models--org--name</c>.</summary>
    Model,

    /// <summary>A dataset: <c>/api/datasets/…</c>, <c>/datasets/{repo}/resolve/…</c>, cache folder <c>datasets--org--name</c>.</summary>
    Dataset,
}
