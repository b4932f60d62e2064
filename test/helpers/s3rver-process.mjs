// A real S3-protocol server (s3rver) in a process of its own, so tests can
// stop it abruptly mid-download. Prints "port N" once it listens.
import S3rver from 's3rver';

const [directory, port = '0'] = process.argv.slice(2);
const server = new S3rver({ address: '127.0.0.1', port: Number(port), silent: true, directory });
const { port: bound } = await server.run();
process.stdout.write(`port ${bound}\n`);
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
