namespace Skald.Models.Generation;

/// <summary>
/// A request <see cref="SkaldChatClient"/> has made ready to decode: the prompt's ids, the generation options, how many
/// function calls are read out of the answer (0: it is not read; 1 when parallel calls are not allowed), the function a
/// named tool choice calls (null: none), and the text the prompt ends with that the answer's calls open with (empty:
/// none; <c>tool_choice: "required"</c>), which the parser reads before the answer's own text; the id the named
/// function's opening wrote (null: the opening writes none, and the call gets a new one).
/// </summary>
internal readonly record struct PreparedChat(int[] Prompt, GenerationOptions Options, int Calls, string? Forced, string Lead, string? ForcedId = null);
