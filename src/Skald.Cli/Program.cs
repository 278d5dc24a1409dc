using Skald.Cli;

return Cli.Run(args);
