// Starts a server, prints its pid, and waits to be killed.
import { startReplay } from "tapedeck";

const server = await startReplay();
console.log(server.pid);
setInterval(() => {}, 60_000);
